"""What the generated dialer rows are drawn from: area codes, efforts, people's names, each dialer's
outcomes and their weights, the bad values planted, and the campaign's calendar and volunteers.

Plain data, read by `bench.generate`'s rows. A change here makes the same parameters give other
bytes: bump `bench.generate.GENERATOR_VERSION` with it, so that cached files are remade.
"""

from __future__ import annotations

from datetime import date

AREA_CODES = (202, 301, 410, 571, 703, 415, 212, 617)
EFFORTS = (
    "GOTV Weekend 1",
    "GOTV Weekend 2",
    "Persuasion Wave 1",
    "Persuasion Wave 2",
    "Early Vote Reminder",
    "Ballot Chase",
    "Volunteer Recruitment",
    "Spanish Language Outreach",
)
FIRST_NAMES = (
    "Grace",
    "Hannah",
    "James",
    "Noah",
    "Olivia",
    "Liam",
    "Emma",
    "Ava",
    "Sophia",
    "Mia",
    "Lucas",
    "Ethan",
    "Amelia",
    "Harper",
    "Mateo",
    "Elijah",
    "Aria",
    "Chloe",
    "Daniel",
    "Priya",
    "Wei",
    "Fatima",
    "Kwame",
    "André",
    "José",
    "Zoë",
    "Chloé",
    "Renée",
    "Ana",
    "Miguel",
    "Sara",
    "David",
    "Maya",
    "Omar",
    "Leah",
    "Isaac",
    "Nora",
    "Jamal",
    "Rosa",
    "Tariq",
)
LAST_NAMES = (
    "Johnson",
    "Rivera",
    "Smith",
    "Garcia",
    "Baker",
    "Nguyen",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Green",
    "Adams",
    "Nelson",
    "O'Brien",
    "Muñoz",
    "Peña",
)

# (outcome, weight per 1000 dialled rows, answered): answered calls last minutes, the others seconds.
IMPACTIVE_OUTCOMES = (
    ("No Answer", 330, False),
    ("Answering Machine", 250, False),
    ("Completed", 130, True),
    ("Busy", 50, False),
    ("Not Home", 50, True),
    ("Refused", 60, True),
    ("Wrong Number", 40, True),
    ("Failed", 30, False),
    ("Dropped", 20, False),
    ("Moved", 15, True),
    ("Deceased", 5, True),
    ("No language in common", 20, True),
)
THRUTALK_OUTCOMES = (
    ("No Answer", 320, False),
    ("Voicemail", 150, False),
    ("Answering Machine", 90, False),
    ("Talking to Correct Person", 130, True),
    ("Busy Signal", 50, False),
    ("Not Home/No Contact", 50, True),
    ("Refused", 60, True),
    ("Wrong Number", 30, True),
    ("Deliverability Error", 25, False),
    ("Disconnected", 25, False),
    ("Fax", 5, False),
    ("Moved", 15, True),
    ("Deceased", 5, True),
    ("Not Dialed", 10, False),
)
NOT_DIALED = "Not Dialed"
UNKNOWN_OUTCOMES = ("Call Back Later", "Callback Requested", "Hung Up", "Spoke to Spouse")
BAD_PHONES = ("555-0142", "(202) 555-014", "202555014233", "(099) 555-0142", "123-456-7890", "n/a", "")
BAD_IMPACTIVE_TIMES = ("13/45/2024 6:07 PM", "2024-02-30 10:00", "10/11/2O24 6:07 PM", "yesterday", "")
BAD_THRUTALK_DATES = ("13/45/2024", "2024-02-30", "10/11/2O24", "yesterday", "")

FIRST_DAY = date(2024, 9, 3)
CAMPAIGN_DAYS = 63
FIRST_HOUR, LAST_HOUR = 10, 20  # calls from 10:00 to 20:59 local, far from the daylight-saving hour
VOLUNTEERS = 240
