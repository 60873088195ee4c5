"""Roster sync with the city's student information system: OneRoster 1.2 CSV and the student-status
(学籍) spreadsheets in (``oneroster``, ``xueji`` → ``validation`` → ``sync``), OneRoster out (``export``)."""
