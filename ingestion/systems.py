"""The source systems, in load order: a module of its own so the `cdp` parser can offer them
without importing dlt."""

SYSTEMS = ("hubspot", "mailchimp", "stripe", "vnpay", "facebook_ads", "google_ads")
