"""A whole programme's data, generated from a seed number and loaded with COPY.

The same generator makes the demo (a school or two per district) and the city (about 400
schools, 250,000 students, 400,000 guardians, 20,000 teachers, 100 instructors, 150 stations,
10,000 home visits this year). Rows are written the way the services write them: phones and
student numbers sealed and blind-indexed, summaries sealed, every role a role assignment, an
instructor's and a teacher's bookings never overlapping, jobs scheduled for what is still to come.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from services import runtime
from services.clock import PROGRAMME_ZONE
from services.enums import AlertSeverity
from services.family_education.search import index_terms
from services.home_visits.rules import TRAVEL_BUFFER
from services.identity import phones
from services.seed import names
from services.seed.load import Copier

ALERT_POLICY_MINUTES = {"CRITICAL": 15, "HIGH": 120, "MEDIUM": 1440, "LOW": 4320}
FOLLOW_UP_MINUTES = 1440
ALERT_SUMMARIES = {
    "ANXIETY_DEPRESSION": ("近两周上课走神、情绪低落", "多次在课间独自哭泣", "作文中流露出消极想法"),
    "BULLYING": ("被同学起绰号、孤立", "反映在放学路上被高年级学生索要零花钱"),
    "FAMILY_CONFLICT": ("父母离异后情绪波动大", "家中经常争吵，孩子不愿回家"),
    "BEHAVIOUR": ("课堂上频繁与同学冲突", "近期多次顶撞老师"),
    "ATTENDANCE": ("一周内三次无故迟到", "连续两天未到校，联系不上家长"),
    "SELF_HARM_RISK": ("手臂上发现划痕", "在社交软件上发布轻生言论"),
    "OTHER": ("睡眠不足，白天精神差", "沉迷手机游戏，作业长期不交"),
}
COURSES = (
    ("家庭教育与亲子沟通", "学会倾听孩子，用平等的方式交流，化解亲子冲突。", "PARENTING", 1, 9),
    ("青春期孩子的心理变化", "理解初中生的情绪波动和独立需求，陪伴孩子平稳度过青春期。", "MENTAL_HEALTH", 6, 9),
    ("科学养育：好习惯养成", "从作息、阅读到整理，帮助低年级孩子养成受益一生的习惯。", "PARENTING", 1, 4),
    ("家庭安全教育", "防溺水、防火、交通与网络安全，家长应知应会。", "SAFETY", 1, 9),
    ("如何陪伴孩子写作业", "减少催促与焦虑，培养孩子的自主学习能力。", "LEARNING_SUPPORT", 1, 6),
    ("儿童营养与健康", "合理膳食、充足睡眠和体育锻炼。", "HEALTH", 1, 9),
    ("隔代教养的智慧", "祖辈与父母如何分工合作，形成教育合力。", "FAMILY_RELATIONSHIPS", 1, 9),
    ("孩子沉迷手机怎么办", "约定规则、以身作则，帮助孩子合理使用电子产品。", "SAFETY", 3, 9),
    ("识别孩子的情绪信号", "及早发现焦虑、抑郁的苗头，知道何时寻求专业帮助。", "MENTAL_HEALTH", 1, 9),
    ("二孩家庭的亲子关系", "公平对待每个孩子，化解手足之争。", "FAMILY_RELATIONSHIPS", 1, 9),
    ("幼小衔接家长指南", "帮助孩子顺利适应小学生活。", "LEARNING_SUPPORT", 1, 2),
    ("升学压力下的家庭支持", "理性看待成绩，与孩子一起面对中考。", "MENTAL_HEALTH", 8, 9),
)
#: 静待花开 episodes (title, summary, format, series, topics, grade bands, minutes).
EPISODES = (
    ("不吼不叫，陪孩子写作业", "专注力从哪里来？三个小方法帮孩子安心完成作业。", "VIDEO", "家长课堂", ["学习习惯"],
     ["LOWER_PRIMARY", "UPPER_PRIMARY"], 12),
    ("青春期，和孩子好好说话", "孩子突然不爱说话了？理解青春期的独立需求。", "VIDEO", "家长课堂",
     ["亲子沟通", "青春期"], ["JUNIOR_SECONDARY", "SENIOR_SECONDARY"], 18),
    ("睡前共读十分钟", "亲子阅读的选书与陪读方法。", "AUDIO", "好书推荐", ["阅读"], ["LOWER_PRIMARY"], 10),
    ("手机管理，家庭约定怎么订", "与孩子一起制定用手机的规则并坚持下去。", "ARTICLE", "专家答疑", ["网络素养"],
     ["UPPER_PRIMARY", "JUNIOR_SECONDARY"], 6),
    ("孩子情绪低落时，家长能做什么", "识别情绪信号，何时寻求学校心理老师的帮助。", "VIDEO", "心理健康", ["心理健康"],
     ["UPPER_PRIMARY", "JUNIOR_SECONDARY", "SENIOR_SECONDARY"], 15),
)
#: Teachers' family-education guidance training (title, summary, credit hours).
TRAINING_COURSES = (
    ("家庭教育指导能力提升", "教师如何与家长沟通孩子的成长问题，组织家长会与家长课堂。", 12),
    ("家访的方法与伦理", "家访前的准备、访谈技巧、隐私保护与家访记录。", 8),
    ("学生心理危机的早期识别", "识别心理健康预警信号，与心理老师和家长协同处置。", 16),
)
LESSON_TOPICS = ("认识问题", "案例分析", "方法与技巧", "家庭练习", "常见误区", "专家答疑", "总结与行动计划", "拓展阅读")


@dataclass(frozen=True)
class Scale:
    name: str
    schools: int
    pilots: int
    students: int
    teachers: int
    instructors: int
    stations: int
    visits_completed: int
    alerts: int
    courses: int
    enrollments: int
    sessions: int
    consultations: int
    #: 静待花开 episodes, and people's progress through them.
    episodes: int = 8
    column_views: int = 150

    @property
    def expected_rows(self) -> int:
        """Roughly how many rows a run writes, for the progress bar."""
        return (self.students * 6 + self.teachers * 3 + self.visits_completed * 6 + self.alerts * 4
                + self.enrollments * 4 + self.sessions * 20 + self.column_views + self.students * 4)


DEMO = Scale("demo", schools=20, pilots=10, students=400, teachers=100, instructors=10, stations=15,
             visits_completed=60, alerts=40, courses=8, enrollments=120, sessions=16, consultations=30)
CITY = Scale("city", schools=400, pilots=70, students=250_000, teachers=20_000, instructors=100, stations=150,
             visits_completed=10_000, alerts=2_500, courses=12, enrollments=40_000, sessions=600,
             consultations=2_000, episodes=60, column_views=80_000)

STAGE_GRADES = {"PRIMARY": range(1, 7), "JUNIOR_SECONDARY": range(7, 10), "NINE_YEAR": range(1, 10)}


@dataclass
class School:
    id: uuid.UUID
    district_id: uuid.UUID
    district_code: str
    district_name: str
    stage: str
    pilot: bool
    name: str
    counsellor: uuid.UUID | None = None
    teachers: list[uuid.UUID] = field(default_factory=list)
    classes: list[tuple[uuid.UUID, int, uuid.UUID]] = field(default_factory=list)  # id, grade, homeroom


@dataclass(frozen=True)
class Child:
    id: uuid.UUID
    school: School
    class_id: uuid.UUID
    grade: int
    homeroom: uuid.UUID
    guardians: tuple[uuid.UUID, ...]


@dataclass
class Generated:
    """What the demo needs: its accounts, and the child it shows everything about."""

    people: dict[str, uuid.UUID] = field(default_factory=dict)
    showcase_child: uuid.UUID | None = None
    counts: dict[str, int] = field(default_factory=dict)


class Generator:
    def __init__(self, scale: Scale, seed: int, copier: Copier, now: dt.datetime) -> None:
        self.scale = scale
        self.rng = random.Random(seed)  # noqa: S311 -- reproducible sample data, not secrets
        self.copy = copier
        self.now = now
        self.crypto = runtime.current().crypto
        self._phone = 0
        self._phone_prefix = self.rng.choice(("138", "139", "150", "151", "152", "158", "187", "188"))
        self.schools: list[School] = []
        self.children: list[Child] = []
        self.families_by_district: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        self.stations: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = defaultdict(list)
        self.instructors: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, list[uuid.UUID]]] = []  # id, user, district
        self.courses: list[tuple[uuid.UUID, int, int, list[uuid.UUID]]] = []  # id, min, max, lessons
        self.offered: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)  # school -> courses
        self.training: list[tuple[uuid.UUID, list[uuid.UUID]]] = []  # teachers' courses: id, lessons
        #: guardian -> (session, course) of the seats they hold in sessions still to come
        self.upcoming_sessions: dict[uuid.UUID, list[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(list)
        self.out = Generated()

    # -- ids, people

    def id(self) -> uuid.UUID:
        """A version-7 UUID from the seeded generator, in time order within the run."""
        millis = int(self.now.timestamp() * 1000) + self._phone  # advances with every person made
        value = (millis & 0xFFFF_FFFF_FFFF) << 80 | self.rng.getrandbits(80)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        value = (value & ~(0x3 << 62)) | (0x2 << 62)
        return uuid.UUID(int=value)

    def _next_phone(self) -> str:
        self._phone += 1
        return f"{self._phone_prefix}{self._phone:08d}"

    async def person(self, name: str, *roles: tuple[str, dict[str, uuid.UUID]]) -> uuid.UUID:
        user_id = self.id()
        phone = self._next_phone()
        await self.copy.add("app_user", (
            user_id, name, self.crypto.blind_index.digest("phone", phone),
            self.crypto.sealer.seal(phone, table="app_user", column="phone", row=user_id), phones.mask(phone),
            None, None, self.now))
        for role, scope in roles:
            await self.copy.add("role_assignment", (
                self.id(), role, self.now, scope.get("district"), None, scope.get("school"), scope.get("station"),
                user_id))
        return user_id

    def _declare_tables(self) -> None:
        self.copy.table("app_user", ("id", "display_name", "phone_index", "phone_sealed", "phone_masked",
                                     "password_hash", "activated_at", "created_at"))
        self.copy.table("school", ("id", "name", "stage", "is_family_education_pilot", "address", "created_at",
                                   "district_id"))
        self.copy.table("service_station", ("id", "name", "created_at", "district_id", "address", "community",
                                            "latitude", "longitude", "opening_hours", "phone", "services"))
        self.copy.table("role_assignment", ("id", "role", "created_at", "district_id", "granted_by_id", "school_id",
                                            "station_id", "user_id"))
        self.copy.table("school_class", ("id", "grade", "name", "created_at", "homeroom_teacher_id", "school_id"))
        self.copy.table("class_teacher", ("id", "subject", "created_at", "school_class_id", "teacher_id"))
        self.copy.table("student", ("id", "display_name", "gender", "birth_date", "student_number_index",
                                    "student_number_sealed", "created_at", "school_id", "school_class_id"))
        self.copy.table("guardianship", ("id", "relationship", "is_primary", "created_at", "guardian_id",
                                         "student_id"))
        self.copy.table("home_address", ("id", "guardian_id", "address_sealed", "shared_with_co_guardians",
                                         "updated_at"))
        self.copy.table("instructor", ("id", "certificate_number", "certified_on", "expires_on", "specialties", "bio",
                                       "suspended_at", "created_at", "district_id", "user_id"))
        self.copy.table("instructor_station", ("id", "instructor_id", "station_id"))
        self.copy.table("instructor_availability", ("id", "weekday", "start_time", "end_time", "instructor_id",
                                                    "station_id"))
        self.copy.table("course", ("id", "title", "summary", "category", "min_grade", "max_grade", "search_terms",
                                   "created_at", "created_by_id", "audience", "credit_hours"))
        self.copy.table("lesson", ("id", "position", "title", "kind", "duration_minutes", "content_url",
                                   "course_id"))
        self.copy.table("course_offering", ("id", "created_at", "course_id", "school_id"))
        self.copy.table("enrollment", ("id", "enrolled_at", "completed_lessons", "completed_at",
                                       "certificate_number", "course_id", "guardian_id"))
        self.copy.table("column_episode", ("id", "title", "summary", "format", "series", "topics", "grade_bands",
                                           "duration_seconds", "media_url", "district_id", "status", "published_at",
                                           "search_terms", "created_by_id", "created_at", "updated_at"))
        self.copy.table("column_progress", ("id", "episode_id", "user_id", "position_seconds", "started_at",
                                            "finished_at", "updated_at"))
        self.copy.table("notice", ("id", "sender_id", "title", "body", "confirmation_mode", "reply_options",
                                   "audience_kind", "class_ids", "school_id", "grade", "district_id",
                                   "pilot_schools_only", "status", "sent_at", "delivered_at", "created_at"))
        self.copy.table("notice_receipt", ("id", "notice_id", "guardian_id", "read_at", "confirmed_at"))
        self.copy.table("notice_child", ("id", "notice_id", "guardian_id", "student_id", "school_class_id"))
        self.copy.table("lesson_completion", ("id", "completed_at", "enrollment_id", "lesson_id"))
        self.copy.table("course_session", ("id", "starts_at", "ends_at", "capacity", "registered", "check_in_code",
                                           "closed_at", "created_at", "course_id", "instructor_id", "school_id",
                                           "station_id"))
        self.copy.table("session_registration", ("id", "status", "registered_at", "cancelled_at", "checked_in_at",
                                                 "guardian_id", "session_id"))
        self.copy.table("consultation", ("id", "mode", "topic_sealed", "starts_at", "ends_at", "status",
                                         "cancelled_by", "reason_sealed", "notes_sealed", "guardian_summary_sealed",
                                         "follow_up_recommended", "completed_at", "rating_stars",
                                         "rating_comment_sealed", "created_at",
                                         "guardian_id", "instructor_id", "station_id", "student_id"))
        self.copy.table("instructor_booking", ("id", "starts_at", "ends_at", "consultation_id", "instructor_id",
                                               "session_id"))
        self.copy.table("home_visit", ("id", "purpose_sealed", "address_sealed", "status", "round", "scheduled_start",
                                       "scheduled_end", "window_start", "window_end", "ended_by", "end_reason_sealed",
                                       "completed_at", "record_duration_minutes", "record_topics_sealed",
                                       "record_summary_sealed", "record_follow_up_needed", "feedback_stars",
                                       "feedback_comment_sealed", "feedback_at", "created_at", "updated_at",
                                       "lead_teacher_id", "raised_alert_id", "recorded_by_id", "school_id",
                                       "student_id"))
        self.copy.table("home_visit_slot", ("id", "round", "offered_by", "starts_at", "ends_at", "visit_id"))
        self.copy.table("home_visit_booking", ("id", "blocked_from", "blocked_until", "teacher_id", "visit_id"))
        self.copy.table("home_visit_companion", ("id", "teacher_id", "visit_id"))
        self.copy.table("home_visit_transition", ("id", "from_status", "to_status", "side", "at", "actor_id",
                                                  "visit_id"))
        self.copy.table("wellbeing_alert", ("id", "severity", "category", "source", "status", "level",
                                            "summary_sealed", "details_sealed", "raised_at",
                                            "acknowledge_within_minutes", "follow_up_minutes", "acknowledge_by",
                                            "acknowledged_at", "resolved_at", "resolution_sealed", "outcome",
                                            "last_activity_at", "home_visit_id", "acknowledged_by_id", "assignee_id",
                                            "raised_by_id", "resolved_by_id", "student_id"))
        self.copy.table("wellbeing_alert_event", ("kind", "at", "level", "note_sealed", "reason", "actor_id",
                                                  "alert_id"))
        self.copy.table("scheduled_job", ("kind", "subject_id", "due_at", "attempts"))

    # -- the whole run

    async def run(self, districts: list[tuple[uuid.UUID, str, str]]) -> Generated:
        self._declare_tables()
        await self._administrators(districts)
        await self._schools(districts)
        await self._families()
        await self._stations_and_instructors()
        await self._courses()
        await self._sessions()
        await self._enrollments()
        await self._training()
        await self._column()
        await self._notices()
        await self._consultations()
        await self._home_visits()
        await self._alerts()
        await self.copy.close()
        self.out.counts = dict(self.copy.counts)
        return self.out

    async def _administrators(self, districts: list[tuple[uuid.UUID, str, str]]) -> None:
        self.out.people["city_admin"] = await self.person("市教育局管理员", ("CITY_ADMIN", {}))
        self.out.people["city_counsellor"] = await self.person(
            f"{names.person_name(self.rng)}（市心理健康教育中心）", ("COUNSELLOR", {}))
        for district_id, code, name in districts:
            admin = await self.person(f"{names.person_name(self.rng)}（{name}教育局）",
                                      ("DISTRICT_ADMIN", {"district": district_id}))
            counsellor = await self.person(f"{names.person_name(self.rng)}（{name}心理中心）",
                                           ("COUNSELLOR", {"district": district_id}))
            if code == "150203":
                self.out.people["district_admin"], self.out.people["district_counsellor"] = admin, counsellor

    async def _schools(self, districts: list[tuple[uuid.UUID, str, str]]) -> None:
        s = self.scale
        weights = [names.DISTRICT_WEIGHTS[code] for _, code, _ in districts]
        # every district gets at least one school and one pilot; the rest follow the weights
        counts = [1] * len(districts)
        for index in self.rng.choices(range(len(districts)), weights, k=s.schools - len(districts)):
            counts[index] += 1
        pilots = set()
        flat = [(d, i) for d, n in zip(districts, counts, strict=True) for i in range(n)]
        for d in districts:
            pilots.add(next(k for k, (district, _) in enumerate(flat) if district == d))
        others = [k for k in range(len(flat)) if k not in pilots]
        pilots.update(self.rng.sample(others, max(0, min(len(others), s.pilots - len(pilots)))))
        per_school_teachers = max(4, s.teachers // s.schools)
        for k, ((district_id, code, district_name), index) in enumerate(flat):
            stage = self.rng.choices(("PRIMARY", "JUNIOR_SECONDARY", "NINE_YEAR"), (55, 30, 15))[0]
            short = district_name.removesuffix("区").removesuffix("县").removesuffix("旗")[:4]
            name = f"包头市{short}第{names.chinese_number(index + 1)}{names.SCHOOL_KINDS[stage]}"
            school = School(self.id(), district_id, code, district_name, stage, k in pilots, name)
            self.schools.append(school)
            await self.copy.add("school", (school.id, name, stage, school.pilot,
                                           names.address(self.rng, district_name), self.now, district_id))
            for _ in range(per_school_teachers):
                school.teachers.append(await self.person(names.person_name(self.rng),
                                                         ("TEACHER", {"school": school.id})))
            admin = await self.person(f"{names.person_name(self.rng)}（校长办公室）",
                                      ("SCHOOL_ADMIN", {"school": school.id}))
            school.counsellor = await self.person(f"{names.person_name(self.rng)}（心理老师）",
                                                  ("COUNSELLOR", {"school": school.id}))
            if code == "150203" and school.pilot and "school_admin" not in self.out.people:
                self.out.people["school_admin"], self.out.people["school_counsellor"] = admin, school.counsellor

    async def _families(self) -> None:
        """Classes of about 40 (fewer in the demo), children with one or two guardians; one family in
        seven has two children at the school."""
        per_school = self.scale.students // self.scale.schools
        for school in self.schools:
            grades = list(STAGE_GRADES[school.stage])
            per_class = 40 if per_school >= 400 else 10
            class_count = max(len(grades), round(per_school / per_class))
            homerooms = iter(school.teachers)
            for n in range(class_count):
                grade = grades[n % len(grades)]
                class_id = self.id()
                homeroom = next(homerooms, school.teachers[n % len(school.teachers)])
                school.classes.append((class_id, grade, homeroom))
                await self.copy.add("school_class", (
                    class_id, grade, f"{names.chinese_number(grade)}年级{n // len(grades) + 1}班", self.now,
                    homeroom, school.id))
                others = [t for t in school.teachers if t != homeroom]
                for subject, teacher in zip(self.rng.sample(names.SUBJECTS, 2), self.rng.sample(others, 2),
                                            strict=True):
                    await self.copy.add("class_teacher", (self.id(), subject, self.now, class_id, teacher))
            left = per_school
            while left > 0:
                siblings = 2 if left > 1 and self.rng.random() < 0.15 else 1
                left -= siblings
                await self._family(school, siblings)
        # The demo's family: a child of the first pilot school of 昆都仑区, in its first class.
        showcase = next(c for c in self.children if c.school.pilot and c.school.district_code == "150203")
        self.out.showcase_child = showcase.id
        self.out.people["teacher"], self.out.people["parent"] = showcase.homeroom, showcase.guardians[0]

    async def _family(self, school: School, children: int) -> None:
        surname_source = names.person_name(self.rng)
        guardians = [await self.person(surname_source, ("PARENT", {}))]
        if self.rng.random() < 0.85:
            guardians.append(await self.person(names.person_name(self.rng), ("PARENT", {})))
        self.families_by_district[school.district_id].extend(guardians)
        # One household: the first guardian keeps its address on file and shares it with the other.
        home_id = self.id()
        await self.copy.add("home_address", (
            home_id, guardians[0], self.crypto.sealer.seal(names.address(self.rng, school.district_name),
                                                           table="home_address", column="address", row=home_id),
            True, self.now))
        for _ in range(children):
            class_id, grade, homeroom = self.rng.choice(school.classes)
            student_id = self.id()
            number = f"G15{self.rng.randrange(10**15):015d}"
            year = self.now.year - 6 - grade
            await self.copy.add("student", (
                student_id, surname_source[:1] + names.person_name(self.rng)[1:], self.rng.choice(("FEMALE", "MALE")),
                dt.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28)),
                self.crypto.blind_index.digest("student-number", number),
                self.crypto.sealer.seal(number, table="student", column="student_number", row=student_id),
                self.now, school.id, class_id))
            for index, guardian in enumerate(guardians):
                guardianship_id = self.id()
                await self.copy.add("guardianship", (
                    guardianship_id, ("MOTHER", "FATHER")[index] if self.rng.random() < 0.9 else "GRANDPARENT",
                    index == 0, self.now, guardian, student_id))
            self.children.append(Child(student_id, school, class_id, grade, homeroom, tuple(guardians)))

    # -- family education

    async def _stations_and_instructors(self) -> None:
        s = self.scale
        districts = sorted({(x.district_id, x.district_code, x.district_name) for x in self.schools},
                           key=lambda d: (-names.DISTRICT_WEIGHTS[d[1]], d[1]))
        for n in range(s.stations):
            district_id, code, district_name = districts[n % len(districts)]
            station_id = self.id()
            community = self.rng.choice(names.COMMUNITIES)
            lat, lon = names.near(self.rng, names.DISTRICT_CENTRES[code], 6)
            hours = [{"weekday": d, "opensAt": "08:30", "closesAt": "17:30"} for d in range(1, 6)]
            hours += [{"weekday": 6, "opensAt": "09:00", "closesAt": "12:00"}] if self.rng.random() < 0.6 else []
            name = f"{community}社区家庭教育服务站"
            self.stations[district_id].append((station_id, name))
            await self.copy.add("service_station", (
                station_id, name, self.now, district_id, names.address(self.rng, district_name), f"{community}社区",
                lat, lon, json.dumps(hours), f"0472-{self.rng.randint(2000000, 6999999)}",
                json.dumps(self.rng.sample(names.STATION_SERVICES, 3), ensure_ascii=False)))
            staff = await self.person(f"{names.person_name(self.rng)}（{community}社区）",
                                      ("STATION_STAFF", {"station": station_id}))
            if code == "150203":
                self.out.people.setdefault("station_staff", staff)
        today = self.now.astimezone(PROGRAMME_ZONE).date()
        for n in range(s.instructors):
            district_id, code, _ = districts[n % len(districts)]
            user_id = await self.person(names.person_name(self.rng), ("INSTRUCTOR", {"district": district_id}))
            instructor_id = self.id()
            certified = today - dt.timedelta(days=self.rng.randint(60, 900))
            expires = certified + dt.timedelta(days=3 * 365)
            on_duty = [sid for sid, _ in self.rng.sample(self.stations[district_id],
                                                         min(2, len(self.stations[district_id])))]
            self.instructors.append((instructor_id, user_id, district_id, on_duty))
            if code == "150203":
                self.out.people.setdefault("instructor", user_id)
            await self.copy.add("instructor", (
                instructor_id, f"BTJY-{certified.year}-{n + 1:04d}", certified, expires,
                json.dumps(self.rng.sample(names.SPECIALTIES, 3), ensure_ascii=False),
                "长期从事家庭教育指导工作。", None, self.now, district_id, user_id))
            for station_id in on_duty:
                await self.copy.add("instructor_station", (self.id(), instructor_id, station_id))
            for weekday in self.rng.sample(range(1, 8), 3):
                await self.copy.add("instructor_availability", (
                    self.id(), weekday, dt.time(9, tzinfo=dt.UTC), dt.time(12, tzinfo=dt.UTC), instructor_id,
                    on_duty[0] if on_duty else None))
                await self.copy.add("instructor_availability", (
                    self.id(), weekday, dt.time(14, tzinfo=dt.UTC), dt.time(17, tzinfo=dt.UTC), instructor_id,
                    None))

    async def _courses(self) -> None:
        creator = self.out.people["city_admin"]
        for n in range(self.scale.courses):
            title, summary, category, low, high = COURSES[n % len(COURSES)]
            if n >= len(COURSES):
                title = f"{title}（第{names.chinese_number(n // len(COURSES) + 1)}期）"
            course_id = self.id()
            await self.copy.add("course", (course_id, title, summary, category, low, high,
                                           json.dumps(index_terms(title, summary), ensure_ascii=False),
                                           self.now - dt.timedelta(days=300 - n), creator, "PARENT", None))
            lessons = []
            for position in range(1, self.rng.randint(4, 8) + 1):
                lesson_id = self.id()
                lessons.append(lesson_id)
                await self.copy.add("lesson", (
                    lesson_id, position, f"第{names.chinese_number(position)}课 {LESSON_TOPICS[position - 1]}",
                    "IN_PERSON" if position == 1 and self.rng.random() < 0.3 else "VIDEO",
                    self.rng.choice((15, 20, 30)), f"https://jtjy.baotou.example/course/{n + 1}/{position}",
                    course_id))
            self.courses.append((course_id, low, high, lessons))
        for n, (title, summary, hours) in enumerate(TRAINING_COURSES):
            course_id = self.id()
            await self.copy.add("course", (course_id, title, summary, "PARENTING", 1, 12,
                                           json.dumps(index_terms(title, summary), ensure_ascii=False),
                                           self.now - dt.timedelta(days=200 - n), creator, "TEACHER", hours))
            lessons = []
            for position in range(1, 4):
                lessons.append(self.id())
                await self.copy.add("lesson", (
                    lessons[-1], position, f"第{names.chinese_number(position)}讲 {LESSON_TOPICS[position - 1]}",
                    "VIDEO", 45, f"https://jtjy.baotou.example/training/{n + 1}/{position}", course_id))
            self.training.append((course_id, lessons))
        for school in self.schools:
            if school.pilot:
                grades = STAGE_GRADES[school.stage]
                fitting = [c for c in self.courses if c[1] <= grades[-1] and c[2] >= grades[0]]
                for course in self.rng.sample(fitting, min(len(fitting), self.rng.randint(4, 8))):
                    self.offered[school.id].append(course[0])
                    await self.copy.add("course_offering", (self.id(), self.now, course[0], school.id))

    def _instructor_day(self, counter: dict[uuid.UUID, int], instructor_id: uuid.UUID, *, past: bool,
                        hour: int) -> dt.datetime:
        """A day of the instructor's own, so that their bookings never overlap."""
        counter[instructor_id] += 1
        days = counter[instructor_id] * 2 + (0 if past else 1)
        local = self.now.astimezone(PROGRAMME_ZONE).date() + dt.timedelta(days=-days if past else days)
        return dt.datetime.combine(local, dt.time(hour), tzinfo=PROGRAMME_ZONE)

    async def _sessions(self) -> None:
        pilots = [s for s in self.schools if s.pilot]
        past_days: dict[uuid.UUID, int] = defaultdict(int)
        next_days: dict[uuid.UUID, int] = defaultdict(int)
        for n in range(self.scale.sessions):
            instructor_id, _, district_id, on_duty = self.instructors[n % len(self.instructors)]
            upcoming = n % 4 == 0
            starts = self._instructor_day(next_days if upcoming else past_days, instructor_id, past=not upcoming,
                                          hour=19)
            ends = starts + dt.timedelta(hours=2)
            at_school = [s for s in pilots if s.district_id == district_id and self.offered[s.id]]
            venue: tuple[uuid.UUID | None, uuid.UUID | None]
            if at_school and n % 2:
                school = self.rng.choice(at_school)
                course_id, venue = self.rng.choice(self.offered[school.id]), (school.id, None)
            else:
                course_id = self.rng.choice(self.courses)[0]
                venue = (None, on_duty[0] if on_duty else self.stations[district_id][0][0])
            session_id = self.id()
            families = self.families_by_district[district_id]
            seats = self.rng.choice((20, 30, 40))
            people = self.rng.sample(families, min(len(families), self.rng.randint(5, seats)))
            await self.copy.add("course_session", (
                session_id, starts, ends, seats, len(people),
                f"{self.rng.randrange(10**6):06d}", None if upcoming else ends, self.now, course_id, instructor_id,
                venue[0], venue[1]))
            await self.copy.add("instructor_booking", (self.id(), starts, ends, None, instructor_id, session_id))
            for guardian in people:
                status = "REGISTERED" if upcoming else ("ATTENDED" if self.rng.random() < 0.8 else "ABSENT")
                await self.copy.add("session_registration", (
                    self.id(), status, starts - dt.timedelta(days=3), None,
                    starts + dt.timedelta(minutes=self.rng.randint(-20, 10)) if status == "ATTENDED" else None,
                    guardian, session_id))
                if upcoming:
                    self.upcoming_sessions[guardian].append((session_id, course_id))
            if upcoming:
                await self.copy.add("scheduled_job", ("session_close", session_id, ends, 0))
                await self.copy.add("scheduled_job", ("session_waitlist_close", session_id, starts, 0))
                await self.copy.add("scheduled_job", ("session_reminder", session_id,
                                                      starts - dt.timedelta(hours=24), 0))

    async def _enrollments(self) -> None:
        guardians = [g for child in self.children for g in child.guardians[:1]]
        year_start = dt.datetime(self.now.year, 1, 1, tzinfo=PROGRAMME_ZONE)
        span = max(60.0, (self.now - year_start).total_seconds())
        numbers: set[str] = set()
        pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
        alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
        for _ in range(self.scale.enrollments):
            course_id, _, _, lessons = self.rng.choice(self.courses)
            guardian = self.rng.choice(guardians)
            if (course_id, guardian) in pairs:
                continue
            pairs.add((course_id, guardian))
            enrolled = year_start + dt.timedelta(seconds=self.rng.uniform(0, span * 0.9))
            done = self.rng.randint(0, len(lessons))
            completed = enrolled + dt.timedelta(days=self.rng.randint(1, 20)) if done == len(lessons) else None
            completed = min(completed, self.now) if completed else None
            number = None
            if completed:
                while (drawn := f"JTJY-{completed.astimezone(PROGRAMME_ZONE).year}-"
                       + "".join(self.rng.choice(alphabet) for _ in range(8))) in numbers:
                    pass
                numbers.add(drawn)
                number = drawn
            enrollment_id = self.id()
            await self.copy.add("enrollment", (enrollment_id, enrolled, done, completed, number, course_id,
                                               guardian))
            for lesson_id in lessons[:done]:
                await self.copy.add("lesson_completion", (self.id(), completed or self.now, enrollment_id,
                                                          lesson_id))

    async def _training(self) -> None:
        """A third of the teachers took guidance training this year (the demo's homeroom teacher
        among them), most to the end."""
        year_start = dt.datetime(self.now.year, 1, 1, tzinfo=PROGRAMME_ZONE)
        span = max(60.0, (self.now - year_start).total_seconds())
        showcase = self.out.people.get("teacher")
        teachers = [t for school in self.schools for t in school.teachers]
        for teacher in teachers:
            if teacher != showcase and self.rng.random() >= 1 / 3:
                continue
            course_id, lessons = self.training[0] if teacher == showcase else self.rng.choice(self.training)
            enrolled = year_start + dt.timedelta(seconds=self.rng.uniform(0, span * 0.8))
            finished = teacher == showcase or self.rng.random() < 0.7
            completed = min(enrolled + dt.timedelta(days=self.rng.randint(1, 30)), self.now) if finished else None
            number = None if completed is None else (
                f"JTJY-{completed.astimezone(PROGRAMME_ZONE).year}-T{self.rng.randrange(16 ** 7):07X}")
            enrollment_id = self.id()
            done = len(lessons) if finished else self.rng.randint(0, len(lessons) - 1)
            await self.copy.add("enrollment", (enrollment_id, enrolled, done, completed, number, course_id, teacher))
            for lesson_id in lessons[:done]:
                await self.copy.add("lesson_completion", (self.id(), completed or self.now, enrollment_id,
                                                          lesson_id))

    async def _notices(self) -> None:
        """Each homeroom teacher's notice to their class this year (a parents' meeting), delivered: one
        receipt per guardian, most of them confirmed."""
        year_start = dt.datetime(self.now.year, 1, 1, tzinfo=PROGRAMME_ZONE)
        span = max(60.0, (self.now - year_start).total_seconds())
        by_class: dict[uuid.UUID, list[Child]] = defaultdict(list)
        for child in self.children:
            by_class[child.class_id].append(child)
        for class_id, children in by_class.items():
            school, notice_id = children[0].school, self.id()
            sent = year_start + dt.timedelta(seconds=self.rng.uniform(0, span * 0.95))
            await self.copy.add("notice", (
                notice_id, children[0].homeroom, "家长会通知", "本周五下午四点在教室召开家长会，请准时参加。",
                "CONFIRM", "[]", "SCHOOL_CLASSES", json.dumps([str(class_id)]), school.id, None, school.district_id,
                False, "SENT", sent, sent, sent))
            seen: set[uuid.UUID] = set()
            for child in children:
                for guardian in child.guardians:
                    await self.copy.add("notice_child", (self.id(), notice_id, guardian, child.id, class_id))
                    if guardian in seen:
                        continue
                    seen.add(guardian)
                    confirmed = sent + dt.timedelta(hours=self.rng.uniform(0.1, 48)) \
                        if self.rng.random() < 0.7 else None
                    await self.copy.add("notice_receipt", (self.id(), notice_id, guardian, confirmed, confirmed))

    async def _column(self) -> None:
        """Episodes of 静待花开, most city-wide, some by a district centre, and families' progress."""
        creator = self.out.people["city_admin"]
        districts = sorted({x.district_id for x in self.schools}, key=str)
        year_start = dt.datetime(self.now.year, 1, 1, tzinfo=PROGRAMME_ZONE)
        span = max(60.0, (self.now - year_start).total_seconds())
        made: list[tuple[uuid.UUID, int]] = []
        for n in range(self.scale.episodes):
            title, summary, kind, series, topics, bands, minutes = EPISODES[n % len(EPISODES)]
            if n >= len(EPISODES):
                title = f"{title}（{names.chinese_number(n // len(EPISODES) + 1)}）"
            episode_id, published = self.id(), year_start + dt.timedelta(seconds=span * n / (self.scale.episodes + 1))
            district = districts[n % len(districts)] if n % 4 == 3 else None
            await self.copy.add("column_episode", (
                episode_id, title, summary, kind, series, json.dumps(topics, ensure_ascii=False), json.dumps(bands),
                minutes * 60, f"https://tv.baotou.example/jdhk/{n + 1}", district, "PUBLISHED", published,
                json.dumps(index_terms(title, summary), ensure_ascii=False), creator, published, published))
            made.append((episode_id, minutes * 60))
        guardians = [g for child in self.children for g in child.guardians]
        seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for _ in range(self.scale.column_views):
            (episode_id, seconds), person = self.rng.choice(made), self.rng.choice(guardians)
            if (episode_id, person) in seen:
                continue
            seen.add((episode_id, person))
            started = year_start + dt.timedelta(seconds=self.rng.uniform(0, span))
            finished = self.rng.random() < 0.55
            position = seconds if finished else self.rng.randint(0, seconds - 1)
            await self.copy.add("column_progress", (
                self.id(), episode_id, person, position, started, started if finished else None, started))

    def _sealer(self, table: str, row: uuid.UUID) -> Callable[[str, str | None], bytes | None]:
        """Seal the words of one row as the services do (bound to its table, column and id)."""
        def seal(column: str, text: str | None) -> bytes | None:
            return None if text is None else self.crypto.sealer.seal(text, table=table, column=column, row=row)

        return seal

    async def _consultations(self) -> None:
        past_days: dict[uuid.UUID, int] = defaultdict(int)
        next_days: dict[uuid.UUID, int] = defaultdict(int)
        by_district: dict[uuid.UUID, list[Child]] = defaultdict(list)
        for child in self.children:
            by_district[child.school.district_id].append(child)
        for n in range(self.scale.consultations):
            instructor_id, _, district_id, on_duty = self.instructors[n % len(self.instructors)]
            upcoming = n % 5 == 0
            starts = self._instructor_day(next_days if upcoming else past_days, instructor_id, past=not upcoming,
                                          hour=9 + (n % 3))
            ends = starts + dt.timedelta(hours=1)
            child = self.rng.choice(by_district[district_id])
            mode = self.rng.choice(("IN_PERSON", "PHONE", "VIDEO"))
            status = self.rng.choice(("REQUESTED", "CONFIRMED")) if upcoming else self.rng.choices(
                ("COMPLETED", "CANCELLED", "DECLINED"), (85, 10, 5))[0]
            consultation_id = self.id()
            completed = status == "COMPLETED"
            sealed = self._sealer("consultation", consultation_id)
            await self.copy.add("consultation", (
                consultation_id, mode, sealed("topic", self.rng.choice((
                    "孩子不愿和父母交流", "孩子厌学怎么办", "青春期叛逆", "隔代教养分歧", "孩子沉迷手机"))),
                starts, ends, status, "FAMILY" if status == "CANCELLED" else None, None,
                sealed("notes", "家长情绪稳定，建议继续跟进。" if completed else None),
                sealed("guardian_summary", "建议每天固定时间与孩子聊天，多倾听少说教。" if completed else None),
                self.rng.random() < 0.3 if completed else None, ends if completed else None,
                self.rng.randint(3, 5) if completed and self.rng.random() < 0.6 else None, None,
                starts - dt.timedelta(days=3), child.guardians[0], instructor_id,
                (on_duty[0] if on_duty else None) if mode == "IN_PERSON" else None, child.id))
            if status in ("REQUESTED", "CONFIRMED"):
                await self.copy.add("instructor_booking", (self.id(), starts, ends, consultation_id, instructor_id,
                                                           None))

    # -- home visits and alerts

    async def _home_visits(self) -> None:
        """This year's completed visits by about a thousand homeroom teachers (about nine each, now and
        then with a colleague), some still to come, and some declined, cancelled or missed."""
        s = self.scale
        year_start = dt.datetime(self.now.year, 1, 1, tzinfo=PROGRAMME_ZONE)
        span_days = max(1, (self.now - year_start).days - 1)
        by_class: dict[uuid.UUID, list[Child]] = defaultdict(list)
        for child in self.children:
            by_class[child.class_id].append(child)
        classes = list(by_class)
        self.rng.shuffle(classes)
        chosen: list[Child] = []
        for class_id in classes:
            pupils = [c for c in by_class[class_id] if c.id != self.out.showcase_child]
            chosen.extend(self.rng.sample(pupils, min(9, len(pupils))))
            if len(chosen) >= s.visits_completed * 1.1:
                break
        teacher_days: dict[uuid.UUID, set[dt.date]] = defaultdict(set)
        for n, child in enumerate(chosen):
            if n < s.visits_completed:
                day = (year_start + dt.timedelta(days=self.rng.randint(0, span_days))).date()
                status = "COMPLETED"
            else:
                kind = n % 5
                status = ("PROPOSED", "CONFIRMED", "DECLINED", "CANCELLED", "MISSED")[kind]
                offset = self.rng.randint(2, 20) if status in ("PROPOSED", "CONFIRMED") else -self.rng.randint(3, 60)
                day = self.now.astimezone(PROGRAMME_ZONE).date() + dt.timedelta(days=offset)
            while day in teacher_days[child.homeroom]:  # one visit a day per teacher: no overlap, buffer kept
                day += dt.timedelta(days=1)
            teacher_days[child.homeroom].add(day)
            await self._visit(child, status, dt.datetime.combine(day, dt.time(16, 30), tzinfo=PROGRAMME_ZONE))

    async def _visit(self, child: Child, status: str, starts: dt.datetime) -> None:
        visit_id = self.id()
        ends = starts + dt.timedelta(hours=1)
        done = status == "COMPLETED"
        scheduled = status in ("CONFIRMED", "COMPLETED", "MISSED")
        companion = self.rng.choice(child.school.teachers) if done and self.rng.random() < 0.3 else None
        companion = companion if companion != child.homeroom else None
        updated = ends if status in ("COMPLETED", "MISSED") else starts - dt.timedelta(days=1)
        ended_by = {"DECLINED": "FAMILY", "CANCELLED": self.rng.choice(("FAMILY", "SCHOOL"))}.get(status)
        rated = done and self.rng.random() < 0.6
        sealed = self._sealer("home_visit", visit_id)
        await self.copy.add("home_visit", (
            visit_id, sealed("purpose", "了解孩子在家的学习和生活情况"),
            sealed("address", names.address(self.rng, child.school.district_name)),
            status, 1, starts if scheduled else None, ends if scheduled else None,
            starts - TRAVEL_BUFFER / 2 if scheduled else None, ends + TRAVEL_BUFFER / 2 if scheduled else None,
            ended_by, sealed("end_reason", "时间冲突" if ended_by else None), ends if done else None,
            60 if done else None,
            sealed("record_topics", json.dumps(["学习习惯", "亲子关系"], ensure_ascii=False) if done else None),
            sealed("record_summary", "家长配合，孩子在家表现良好。" if done else None),
            (self.rng.random() < 0.1) if done else None, self.rng.randint(4, 5) if rated else None,
            sealed("feedback_comment", "老师很用心" if rated else None), ends + dt.timedelta(days=1) if rated else None,
            starts - dt.timedelta(days=5), updated, child.homeroom, None, child.homeroom if done else None,
            child.school.id, child.id))
        await self.copy.add("home_visit_slot", (self.id(), 1, "SCHOOL", starts, ends, visit_id))
        if companion:
            await self.copy.add("home_visit_companion", (self.id(), companion, visit_id))
        if status == "CONFIRMED":
            await self.copy.add("home_visit_booking", (self.id(), starts - TRAVEL_BUFFER / 2, ends + TRAVEL_BUFFER / 2,
                                                       child.homeroom, visit_id))
            await self.copy.add("scheduled_job", ("visit_missed", visit_id, ends + dt.timedelta(hours=48), 0))
        created = starts - dt.timedelta(days=5)
        await self.copy.add("home_visit_transition", (self.id(), None, "PROPOSED", "SCHOOL", created, child.homeroom,
                                                      visit_id))
        if scheduled:
            await self.copy.add("home_visit_transition", (self.id(), "PROPOSED", "CONFIRMED", "FAMILY",
                                                          created + dt.timedelta(days=1), child.guardians[0],
                                                          visit_id))
        if status != "PROPOSED" and status != "CONFIRMED":
            before = "CONFIRMED" if scheduled or status == "CANCELLED" else "PROPOSED"
            actor = {"COMPLETED": child.homeroom, "DECLINED": child.guardians[0], "MISSED": None}.get(
                status, child.homeroom if ended_by == "SCHOOL" else child.guardians[0])
            side = {"COMPLETED": "SCHOOL", "MISSED": None}.get(status, ended_by)
            await self.copy.add("home_visit_transition", (self.id(), before, status, side, updated, actor, visit_id))

    async def _alerts(self) -> None:
        """Alerts over the year: most resolved, some acknowledged, the recent ones partly open (with
        their deadlines scheduled); late acknowledgements were escalated to the district."""
        year_start = dt.datetime(self.now.year, 1, 1, tzinfo=PROGRAMME_ZONE)
        span = max(3600.0, (self.now - year_start).total_seconds())
        severities = [s.value for s in AlertSeverity]
        children = [c for c in self.children if c.id != self.out.showcase_child]
        for _ in range(self.scale.alerts):
            child = self.rng.choice(children)
            severity = self.rng.choices(severities, (40, 35, 20, 5))[0]
            category = self.rng.choice(list(ALERT_SUMMARIES))
            policy = ALERT_POLICY_MINUTES[severity]
            raised = year_start + dt.timedelta(seconds=self.rng.uniform(0, span))
            recent = (self.now - raised) < dt.timedelta(minutes=policy)
            if recent and self.rng.random() < 0.5:
                status = "OPEN"
            else:
                status = "RESOLVED" if (self.now - raised).days > 14 and self.rng.random() < 0.9 else "ACKNOWLEDGED"
            await self._alert(child, severity, category, policy, raised, status)

    async def _alert(self, child: Child, severity: str, category: str, policy: int, raised: dt.datetime,
                     status: str) -> None:
        alert_id = self.id()
        counsellor = child.school.counsellor
        deadline = raised + dt.timedelta(minutes=policy)
        acknowledged = resolved = None
        level = "SCHOOL"
        if status != "OPEN":
            delay = min(policy * 3.0, self.rng.lognormvariate(math.log(max(5, policy / 4)), 0.8))
            acknowledged = min(self.now, raised + dt.timedelta(minutes=delay))
            level = "DISTRICT" if acknowledged > deadline else "SCHOOL"
        if status == "RESOLVED":
            assert acknowledged is not None  # a resolved alert was acknowledged first
            resolved = min(self.now, acknowledged + dt.timedelta(days=self.rng.randint(1, 10)))
        seal = self.crypto.sealer.seal
        await self.copy.add("wellbeing_alert", (
            alert_id, severity, category, "TEACHER_OBSERVATION", status, level,
            seal(self.rng.choice(ALERT_SUMMARIES[category]), table="wellbeing_alert", column="summary",
                 row=alert_id), None, raised, policy, FOLLOW_UP_MINUTES,
            deadline if status == "OPEN" else acknowledged or deadline, acknowledged, resolved,
            seal("已与家长沟通，持续关注。", table="wellbeing_alert", column="resolution", row=alert_id)
            if resolved else None, "SUPPORTED_IN_SCHOOL" if resolved else None, resolved or acknowledged or raised,
            None, counsellor if acknowledged else None, None, child.homeroom, counsellor if resolved else None,
            child.id))
        await self.copy.add("wellbeing_alert_event", ("RAISED", raised, "SCHOOL", None, None, child.homeroom,
                                                      alert_id))
        if level == "DISTRICT":
            await self.copy.add("wellbeing_alert_event", ("ESCALATED", deadline, "DISTRICT", None, "deadline_missed",
                                                          None, alert_id))
        if acknowledged:
            await self.copy.add("wellbeing_alert_event", ("ACKNOWLEDGED", acknowledged, level, None, None,
                                                          counsellor, alert_id))
        if resolved:
            await self.copy.add("wellbeing_alert_event", ("RESOLVED", resolved, level, None, None, counsellor,
                                                          alert_id))
        if status == "OPEN":
            await self.copy.add("scheduled_job", ("alert_deadline", alert_id, deadline, 0))
