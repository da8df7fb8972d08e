"""Word lists the generator draws people, companies and places from.

Vietnamese family names carry their real-world weights (Nguyễn alone is about 38 %), because
that skew is what makes name-based matching unsafe and email/phone matching necessary.
"""

from __future__ import annotations

VN_FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 0.38),
    ("Trần", 0.11),
    ("Lê", 0.095),
    ("Phạm", 0.07),
    ("Hoàng", 0.05),
    ("Huỳnh", 0.05),
    ("Phan", 0.045),
    ("Vũ", 0.04),
    ("Võ", 0.04),
    ("Đặng", 0.02),
    ("Bùi", 0.02),
    ("Đỗ", 0.015),
    ("Hồ", 0.015),
    ("Ngô", 0.015),
    ("Dương", 0.01),
    ("Lý", 0.005),
    ("Trương", 0.005),
    ("Đinh", 0.005),
    ("Lâm", 0.005),
)

VN_MIDDLE_MALE = ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Gia", "Xuân", "Tuấn")
VN_MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Kim", "Bảo", "Phương", "Mai", "Hồng", "Diệu")
VN_GIVEN_MALE = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh",
    "Khoa", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài",
    "Thắng", "Thịnh", "Toàn", "Trung", "Tú", "Tuấn", "Việt", "Vinh",
)  # fmt: skip
VN_GIVEN_FEMALE = (
    "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Huyền",
    "Lan", "Linh", "Loan", "Ly", "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh", "Phương",
    "Quỳnh", "Thảo", "Thủy", "Trang", "Trinh", "Uyên", "Vy", "Yến",
)  # fmt: skip

INTL_FIRST_MALE = (
    "James", "John", "Robert", "Michael", "David", "William", "Daniel", "Thomas", "Oliver",
    "Lucas", "Noah", "Ethan", "Liam", "Max", "Hiroshi", "Kenji", "Min-jun", "Ji-ho", "Somchai",
    "Wei", "Arjun", "Lukas", "Felix", "Jack",
)  # fmt: skip
INTL_FIRST_FEMALE = (
    "Mary", "Jennifer", "Linda", "Sarah", "Emily", "Emma", "Olivia", "Sophia", "Charlotte",
    "Amelia", "Mia", "Chloe", "Grace", "Hannah", "Yuki", "Sakura", "Seo-yeon", "Ji-woo",
    "Siriporn", "Mei", "Priya", "Lena", "Anna", "Zoe",
)  # fmt: skip
INTL_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Anderson", "Thomas", "Moore", "Martin", "Clark", "Lewis", "Walker", "Young", "King",
    "Wright", "Scott", "Green", "Baker", "Tanaka", "Suzuki", "Sato", "Kim", "Lee", "Park",
    "Choi", "Tan", "Lim", "Ng", "Wong", "Chen", "Müller", "Schmidt", "Schneider", "Fischer",
    "Srisai", "Chaiyaporn", "O'Neill", "Patel", "Singh", "Evans", "Hughes", "Murphy",
)  # fmt: skip

# (ISO-2, English name, share among international people, cities)
INTL_COUNTRIES: tuple[tuple[str, str, float, tuple[str, ...]], ...] = (
    ("US", "United States", 0.45, ("New York", "San Francisco", "Chicago", "Seattle", "Austin")),
    ("GB", "United Kingdom", 0.12, ("London", "Manchester", "Birmingham", "Edinburgh")),
    ("SG", "Singapore", 0.10, ("Singapore",)),
    ("AU", "Australia", 0.10, ("Sydney", "Melbourne", "Brisbane", "Perth")),
    ("DE", "Germany", 0.08, ("Berlin", "München", "Hamburg", "Köln")),
    ("JP", "Japan", 0.05, ("Tokyo", "Osaka", "Yokohama")),
    ("KR", "South Korea", 0.05, ("Seoul", "Busan", "Incheon")),
    ("TH", "Thailand", 0.05, ("Bangkok", "Chiang Mai", "Phuket")),
)  # fmt: skip

VN_CITIES: tuple[tuple[str, float], ...] = (
    ("Hồ Chí Minh", 0.36),
    ("Hà Nội", 0.30),
    ("Đà Nẵng", 0.08),
    ("Hải Phòng", 0.06),
    ("Cần Thơ", 0.05),
    ("Biên Hòa", 0.04),
    ("Nha Trang", 0.04),
    ("Huế", 0.03),
    ("Vũng Tàu", 0.02),
    ("Quy Nhơn", 0.02),
)

TIMEZONES = {
    "VN": ("Asia/Ho_Chi_Minh", 7),
    "US": ("America/New_York", -5),
    "GB": ("Europe/London", 0),
    "SG": ("Asia/Singapore", 8),
    "AU": ("Australia/Sydney", 10),
    "DE": ("Europe/Berlin", 1),
    "JP": ("Asia/Tokyo", 9),
    "KR": ("Asia/Seoul", 9),
    "TH": ("Asia/Bangkok", 7),
}

VN_COMPANIES = (
    "tanphat", "minhanh", "hoanglong", "thanhcong", "vietthai", "sonha", "anphu", "phucthinh",
    "daiviet", "namlong", "hungthinh", "thienan", "kimlong", "baominh", "hoaphat", "sunviet",
    "greenfarm", "vinaship", "saigonfood", "hanoitech", "mekongagri", "lotusmedia", "redriver",
    "goldstar", "bluesea",
)  # fmt: skip
INTL_COMPANIES = (
    "acmecorp", "northwind", "globex", "initech", "umbrella", "hooli", "piedpiper", "starkind",
    "wayneent", "cyberdyne", "tyrell", "soylent", "vandelay", "contoso", "fabrikam", "wingtip",
    "litware", "adatum", "tailspin", "proseware",
)  # fmt: skip

VN_COMPANY_SUFFIXES = (".vn", ".com.vn", "group.vn", "jsc.com.vn")
INTL_COMPANY_SUFFIXES = (".com", ".io", ".co", ".net")

# Webmail shares of personal addresses (remainder: the person's company domain).
VN_WEBMAIL: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.58),
    ("yahoo.com", 0.08),
    ("yahoo.com.vn", 0.04),
    ("outlook.com", 0.05),
    ("hotmail.com", 0.03),
    ("fpt.vn", 0.02),
)
INTL_WEBMAIL: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.45),
    ("yahoo.com", 0.08),
    ("outlook.com", 0.10),
    ("hotmail.com", 0.05),
    ("icloud.com", 0.08),
)

VN_MOBILE_PREFIXES = (
    "90", "91", "93", "94", "96", "97", "98", "32", "33", "34", "35", "36", "37", "38", "39",
    "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "86", "88", "56", "58", "59",
)  # fmt: skip
US_AREA_CODES = ("212", "415", "646", "310", "312", "617", "206", "512", "305", "702")

JOB_TITLES = (
    "Marketing Manager", "Sales Executive", "Kế toán", "Giám đốc", "Nhân viên kinh doanh",
    "Software Engineer", "Founder", "Product Manager", "Trưởng phòng", "Student", "",
)  # fmt: skip
HUBSPOT_OWNERS = ("Trần Minh Quân", "Lê Thu Hà", "Sarah Miller", "Phạm Đức Huy", "")
