"""The privacy notice guardians accept when they activate their account."""

from __future__ import annotations

CURRENT_VERSION = "2026-09"

NOTICE = {
    "zh": (
        "包头市家校社协同育人平台隐私告知：本平台仅为开展家庭教育指导、家访和学生心理健康预警"
        "收集必要的个人信息。未成年人信息和心理健康记录加密保存，仅向依职责需要的教师、心理教师"
        "和管理人员开放，每次查阅均有记录。您可随时联系学校查询或更正您和孩子的信息。"
    ),
    "en": (
        "Privacy notice of Baotou's family–school–community co-education platform: we collect only the "
        "personal information needed for family-education guidance, home visits and student wellbeing "
        "alerts. Minors' data and mental-health records are encrypted and open only to the teachers, "
        "counsellors and administrators whose duties require them; every read is recorded. You may ask "
        "the school at any time to see or correct your and your child's information."
    ),
}


def text(language: str) -> str:
    """The notice in a language it has been written and reviewed in, else in Chinese (a legal text:
    a Mongolian one needs its reviewed translation first)."""
    return NOTICE.get(language) or NOTICE["zh"]
