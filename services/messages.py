"""User-facing messages: Simplified Chinese by default, English on request.

Codes never change with the language; only these texts do.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

CATALOG: dict[str, tuple[str, str]] = {
    # generic input
    "required": ("此项为必填项。", "This field is required."),
    "too_short": ("内容太短，至少 {min} 个字符。", "Too short: at least {min} characters."),
    "too_long": ("内容太长，最多 {max} 个字符。", "Too long: at most {max} characters."),
    "control_characters": ("内容包含不允许的控制字符。", "Contains control characters that are not allowed."),
    "invalid_id": ("标识无效。", "This id is not valid."),
    "not_found": ("找不到该对象，或您无权访问。", "Not found, or not available to you."),
    "out_of_range": ("取值应在 {min} 到 {max} 之间。", "Must be between {min} and {max}."),
    "too_many_items": ("最多 {max} 项。", "At most {max} items."),
    "invalid_date": ("日期无效。", "Not a valid date."),
    # access
    "unauthenticated": ("请先登录。", "Please sign in."),
    "internal_error": ("服务器内部错误，请稍后再试（请求编号 {request_id}）。",
                       "Internal server error; please try again later (request {request_id})."),
    "request_timeout": ("请求处理超时。", "The request took too long."),
    "bad_user_input": ("输入值无效（{field}），请检查后重试。",
                       "An input value is not valid ({field}); check it and retry."),
    "service_unavailable": ("服务暂时不可用，请稍后重试。", "The service is briefly unavailable; please try again."),
    "invalid_first": ("first 应在 0 到 {max} 之间。", "first must be between 0 and {max}."),
    "invalid_cursor": ("分页游标无效。", "The pagination cursor is not valid."),
    "forbidden": ("您无权执行此操作。", "You are not allowed to do this."),
    "rate_limited": ("尝试次数过多，请稍后再试。", "Too many attempts; please try again later."),
    "rate_limited_for": ("尝试次数过多，请 {seconds} 秒后再试。", "Too many attempts; try again in {seconds} s."),
    # identity
    "invalid_phone": ("请输入有效的中国大陆手机号码。", "Enter a valid mainland China mobile number."),
    "invalid_credentials": ("手机号或密码不正确。", "The phone number or password is incorrect."),
    "invalid_invitation": ("邀请码无效或已过期。", "The invitation code is invalid or has expired."),
    "already_activated": ("该账号已激活，请直接登录。", "This account is already active; please sign in."),
    "invalid_refresh_token": ("登录已失效，请重新登录。", "Your session has ended; please sign in again."),
    "password_too_short": ("密码至少需要 {min} 个字符。", "The password needs at least {min} characters."),
    "password_too_long": ("密码最多 {max} 个字符。", "The password may have at most {max} characters."),
    "password_too_simple": (
        "密码需包含字母、数字、符号中的至少两类。",
        "The password needs at least two of: letters, digits, symbols.",
    ),
    "password_contains_phone": ("密码不能包含手机号。", "The password must not contain the phone number."),
    "password_too_common": ("该密码过于常见，请换一个。", "This password is too common; choose another."),
    "password_unchanged": ("新密码不能与当前密码相同。", "The new password must differ from the current one."),
    "wrong_current_password": ("当前密码不正确。", "The current password is incorrect."),
    "privacy_notice_outdated": (
        "隐私告知已更新，请阅读最新版本后再确认。",
        "The privacy notice has changed; please read the current version and accept it.",
    ),
    # organisation
    "school_name_taken": ("已有同名学校。", "A school with this name already exists."),
    "class_name_taken": ("该学校已有同名班级。", "This school already has a class with this name."),
    "grade_not_in_stage": ("年级 {grade} 不属于该学校的学段。", "Grade {grade} is not taught at this school's stage."),
    "not_a_teacher_of_school": ("该用户不是本校教师。", "This person is not a teacher of this school."),
    "already_class_teacher": ("该教师已任教此班级。", "This teacher already teaches this class."),
    "student_number_taken": ("该学籍号已被使用。", "This student number is already in use."),
    "invalid_student_number": ("学籍号格式不正确。", "The student number is not in a valid format."),
    "birth_date_implausible": ("出生日期不合理。", "The birth date is not plausible."),
    "same_class": ("学生已在该班级。", "The student is already in this class."),
    "role_scope_invalid": ("该角色的范围不正确：{expected}。", "This role needs a different scope: {expected}."),
    "role_not_assignable": ("该角色不能通过此操作分配。", "This role cannot be assigned this way."),
    "role_already_held": ("该用户已拥有此角色。", "This person already holds this role."),
    "role_not_held": ("该用户没有此角色。", "This person does not hold this role."),
    "last_city_admin": ("不能撤销最后一位市级管理员。", "The last city administrator cannot be revoked."),
    "already_guardian": ("该监护人已关联此学生。", "This guardian is already linked to this student."),
    # wellbeing
    "alert_source_not_yours": ("该来源与您的身份不符。", "This source does not match who you are."),
    "alert_resolved": ("该预警已解决。", "This alert is already resolved."),
    "alert_at_top_level": ("该预警已在市级，无法再上报。", "This alert is already at city level."),
    "assignee_not_responsible": ("只能指派给负责该预警的心理教师。",
                                 "Assign it to a counsellor who is responsible for this alert."),
    "alert_title": ("心理健康预警", "Wellbeing alert"),
    "alert_body": ("{school}：{severity}预警，当前由{level}处理，请尽快确认。",
                   "{school}: a {severity} alert at {level} level needs acknowledging."),
    "alert_critical_body": ("{school}：危急预警，区级中心已同时收到。",
                            "{school}: a critical alert; the district centre is paged at once."),
    "alert_overdue_body": ("{school}：{severity}预警仍未确认，请立即处理。",
                           "{school}: a {severity} alert is still not acknowledged."),
    "alert_assigned_title": ("预警已指派给您", "An alert was assigned to you"),
    "alert_assigned_body": ("{school}的一条预警由您跟进。", "You follow up an alert of {school}."),
    "share_title": ("学校心理教师的留言", "A message from the school counsellor"),
    "share_body": ("{school}的心理教师给您留言，请查看。", "The counsellor of {school} left you a message."),
    "handoff_title": ("学生心理档案转入", "A student's wellbeing record arrived"),
    "handoff_body": ("一名转入{school}的学生有心理健康档案，请关注。",
                     "A student who moved to {school} has a wellbeing record."),
    "severity_LOW": ("低", "low"),
    "severity_MEDIUM": ("中", "medium"),
    "severity_HIGH": ("高", "high"),
    "severity_CRITICAL": ("危急", "critical"),
    "level_SCHOOL": ("学校", "school"),
    "level_DISTRICT": ("区级中心", "district centre"),
    "level_CITY": ("市级中心", "city centre"),
    "no_responder": ("本级无人值守，已直接上报。", "Nobody to answer at this level; moved up at once."),
    "critical_district": ("危急预警，已同时通知区级中心。", "Critical: the district centre was paged at once."),
    "handoff": ("学生转入本区，已通知本区中心。", "The student moved into this district; its centre was paged."),
    "deadline_repage": ("市级仍未确认，已再次通知。", "Still not acknowledged at city level; paged again."),
    "deadline_missed": ("未在时限内确认，已上报。", "Not acknowledged in time; moved up."),
    "deadline_missed_collapsed": ("长时间未确认，已直接上报至应有级别。",
                                  "Overdue by several deadlines; moved straight to the level it should be at."),
    "follow_up_overdue": ("确认后长时间无跟进，已再次上报。", "No follow-up since acknowledgement; moved up again."),
    # home visits
    "slot_length": ("每个时段应为 {min} 到 {max} 分钟。", "Each slot must last {min} to {max} minutes."),
    "slot_in_past": ("该时段已经过去。", "This slot is in the past."),
    "slot_too_far": ("只能安排 {days} 天内的家访。", "Visits can be planned at most {days} days ahead."),
    "slot_hours": ("家访时间应在当地 8:00 到 21:00 之间。", "Visits take place between 08:00 and 21:00 local time."),
    "slot_conflict": ("{slot} 与已确认的家访冲突（含路程时间）。",
                      "{slot} clashes with a confirmed visit (travel time included)."),
    "slot_taken": ("{slot} 这个时段老师已另有安排，请选择其他时间。",
                   "The teacher has since booked {slot}; please choose another time."),
    "companion_not_colleague": ("同行老师须为本校其他老师。", "Companions must be other teachers of the school."),
    "visit_already_open": ("该学生已有进行中的家访。", "This student already has an open home visit."),
    "visit_address_twice": ("请填写家访地点，或选择某位监护人的住址，二者只能选其一。",
                            "Give a place or a guardian's home, not both."),
    "visit_address_not_a_guardian": ("所选的人不是该学生的监护人。", "That person is not a guardian of the student."),
    "visit_no_address_on_file": ("该监护人尚未登记家庭住址。", "That guardian has no home address on file."),
    "visit_needs_own_address": ("请先填写您的家庭住址，再确认家访。",
                                "Add your home address first, then accept the visit."),
    "visit_address_gone": ("该家访所定的住址已被删除，请联系老师。",
                           "The home address this visit was at has been removed; contact the teacher."),
    "visit_address_not_shared": ("该住址未与您共享，只能由登记住址的监护人确认。",
                                 "That address is not shared with you: only the guardian it belongs to can accept."),
    "visit_address_changed_title": ("家访地址有变", "Home-visit address changed"),
    "visit_address_changed_body": ("家长更新了家访地址，请在出发前查看。",
                                   "The family updated the visit's address; check it before you set out."),
    "visit_address_cleared_body": ("家长删除了家访地址，请与家长联系。",
                                   "The family removed the visit's address; get in touch with them."),
    "visit_not_offered": ("请选择老师提议的时段之一。", "Choose one of the slots the teacher offered."),
    "visit_wrong_state": ("家访当前状态不允许此操作。", "The visit is not in a state that allows this."),
    "visit_not_started": ("家访开始后才能记录。", "A visit can be recorded once it has started."),
    "visit_feedback_given": ("已评价过这次家访。", "Feedback for this visit was already given."),
    "visit_proposed_title": ("家访邀请", "Home visit proposed"),
    "visit_proposed_body": ("{teacher}老师希望到家中拜访，请选择合适的时间。",
                            "{teacher} would like to visit your home; please choose a time."),
    "visit_rescheduled_title": ("家访时间有变", "New times for a home visit"),
    "visit_rescheduled_body": ("{teacher}老师重新提议了家访时间。", "{teacher} proposed new times for the visit."),
    "visit_alternatives_title": ("家长提议了其他时间", "The family proposed other times"),
    "visit_alternatives_body": ("家长希望改在其他时间家访，请查看。",
                                "The family would prefer other times for the visit."),
    "visit_declined_title": ("家长婉拒了家访", "The family declined the visit"),
    "visit_declined_body": ("家长婉拒了本次家访。", "The family declined this home visit."),
    "visit_confirmed_title": ("家访已确认", "Home visit confirmed"),
    "visit_confirmed_body": ("家长已确认 {when} 的家访。", "The family confirmed the visit at {when}."),
    "visit_cancelled_title": ("家访已取消", "Home visit cancelled"),
    "visit_cancelled_body": ("一次家访已取消。", "A home visit was cancelled."),
    "visit_reminder_title": ("家访提醒", "Home visit reminder"),
    "visit_reminder_body": ("{when} 有一次家访。", "A home visit is due at {when}."),
    "visit_missed_title": ("家访未记录", "Home visit not recorded"),
    "visit_missed_body": ("一次已确认的家访结束 48 小时后仍未记录，已标记为未完成。",
                          "A confirmed visit was not recorded within 48 hours and is marked missed."),
    # family education
    "invalid_url": ("链接格式不正确。", "Not a valid link."),
    "invalid_time": ("时间格式应为 HH:MM，且结束晚于开始。",
                     "Times look like HH:MM, and the end comes after the start."),
    "not_a_pilot_school": ("只有家庭教育试点校可以开设课程。", "Only family-education pilot schools offer courses."),
    "course_not_offered": ("该校未开设此课程。", "This school does not offer the course."),
    "rate_needs_enrollment": ("报名课程后才能评价。", "Enrol in the course before rating it."),
    "session_length": ("课程时段应在 8 小时以内且结束晚于开始。", "A session ends after it starts, within 8 hours."),
    "session_one_venue": ("请选择一个场地：学校或服务站。", "Choose one venue: a school or a station."),
    "instructor_not_active": ("该指导师当前不可预约（证书过期或暂停）。",
                              "The instructor is not active (expired or suspended)."),
    "instructor_busy": ("指导师在该时间已有安排。", "The instructor is booked at that time."),
    "session_full": ("名额已满。", "The session is full."),
    # school notices
    "notice_one_audience": ("请只选择一种发送对象：班级、学校或区。",
                            "Choose exactly one audience: classes, a school or a district."),
    "notice_grade_needs_school": ("按年级发送时需同时选择学校。", "A grade goes with a school."),
    "notice_pilot_needs_district": ("仅发送试点校时需同时选择区。", "Pilot schools only goes with a district."),
    "notice_classes_of_one_school": ("所选班级须属于同一所学校。", "The classes must be of one school."),
    "notice_replies_need_confirmation": ("只有需要确认或签名的通知才能设置回执选项。",
                                         "Reply options need a CONFIRM or SIGNATURE notice."),
    "notice_replies_distinct": ("回执选项不能重复。", "Reply options must differ."),
    "notice_schedule_window": ("定时发送的时间须在今后 {days} 天之内。", "Schedule it within the next {days} days."),
    "notice_deadline_window": ("截止时间须晚于发送时间，且不超过发送后 {days} 天。",
                               "The deadline must be after sending and within {days} days of it."),
    "notice_nobody": ("所选对象中还没有绑定的家长。", "No guardian is linked in this audience yet."),
    "notice_not_remindable": ("该通知无法提醒（尚未发送、已撤回或已过截止时间）。",
                              "This notice cannot be reminded (not sent, recalled or past its deadline)."),
    "notice_remind_later": ("提醒过于频繁，请 {seconds} 秒后再试。",
                            "Reminded too recently; try again in {seconds} s."),
    "notice_recall_too_late": ("通知发出已超过 24 小时，无法撤回。",
                               "More than 24 hours after sending: too late to recall."),
    "notice_closed": ("该通知已撤回或已过截止时间。", "This notice was recalled or is past its deadline."),
    "notice_field_not_taken": ("该通知不需要此项。", "This notice does not take this field."),
    "notice_no_such_option": ("没有这个回执选项。", "No such reply option."),
    "notice_title": ("新通知：{title}", "New notice: {title}"),
    "notice_body": ("请查看并按要求确认。", "Please read it and confirm as asked."),
    "notice_reminder_title": ("请确认通知：{title}", "Please confirm: {title}"),
    "notice_recalled_title": ("通知已撤回", "Notice recalled"),
    "notice_recalled_body": ("发送人已撤回该通知。", "The sender recalled this notice."),
    # the column
    "invalid_https_url": ("须为 https 地址，最多 {max} 个字符。",
                          "Must be an https address of at most {max} characters."),
    "course_for_teachers": ("该课程是教师家庭教育指导培训，仅限教师参加。",
                            "This course is guidance training for teachers only."),
    "credit_hours_for_teachers": ("只有教师培训课程才有学时。", "Only teacher training courses carry credit hours."),
    "waitlist_already_waiting": ("您已在候补名单中，有空位时会自动为您报名。",
                                 "You are on the waitlist: a freed seat will be yours in turn."),
    "waitlist_has_seat": ("您已有该场次的座位，无需候补。", "You already hold a seat at this session."),
    "waitlist_seats_free": ("尚有空位，请直接报名。", "Seats are still free: register instead."),
    "waitlist_full": ("候补名单已满（最多 {max} 人）。", "The waitlist is full (at most {max})."),
    "waitlist_promoted": ("您已获得座位；如不参加，请取消报名。",
                          "You hold a seat now; cancel the registration to give it back."),
    "waitlist_promoted_title": ("候补成功", "A seat is yours"),
    "waitlist_promoted_body": ("您已获得《{course}》{when} 的座位。", "You have a seat at “{course}” on {when}."),
    "session_started": ("课程已开始或已结束，无法报名。", "The session has started or ended."),
    "registration_not_cancellable": ("该报名无法取消。", "This registration can no longer be cancelled."),
    "not_registered": ("您未报名此课程。", "You are not registered for this session."),
    "check_in_closed": ("签到时间为开课前 30 分钟至结束。",
                        "Check-in runs from 30 minutes before the start to the end."),
    "check_in_code_wrong": ("签到码不正确。", "The check-in code is not right."),
    "session_reminder_title": ("课程提醒", "Course session reminder"),
    "session_reminder_body": ("《{course}》将于 {when} 开课。", "“{course}” starts at {when}."),
    "expiry_before_certification": ("有效期应晚于认证日期。", "The expiry must come after the certification date."),
    "already_instructor": ("该用户已是认证指导师。", "This person is already a certified instructor."),
    "certificate_number_taken": ("该证书编号已被使用。", "This certificate number is already in use."),
    "certificate_expiry_title": ("指导师证书即将到期", "An instructor certificate expires soon"),
    "certificate_expiry_body": ("证书 {number} 将在 {days} 天后到期。", "Certificate {number} expires in {days} days."),
    "not_an_instructor": ("您不是认证指导师。", "You are not a certified instructor."),
    "not_on_duty_at_station": ("该指导师不在此服务站值班。", "The instructor is not on duty at this station."),
    "date_range": ("日期范围最长 {days} 天，且结束不早于开始。",
                   "At most {days} days, ending no earlier than it starts."),
    "outside_availability": ("该时间不在指导师的可预约时间内。", "The time is outside the instructor's availability."),
    "consultation_wrong_state": ("咨询当前状态不允许此操作。", "The consultation is not in a state that allows this."),
    "consultation_requested_title": ("新的咨询预约", "New consultation request"),
    "consultation_requested_body": ("有家长预约了 {when} 的咨询。", "A family asked for a consultation at {when}."),
    "consultation_confirmed_title": ("咨询已确认", "Consultation confirmed"),
    "consultation_confirmed_body": ("您 {when} 的咨询已确认。", "Your consultation at {when} is confirmed."),
    "consultation_declined_title": ("咨询未能安排", "Consultation declined"),
    "consultation_declined_body": ("您 {when} 的咨询预约未被接受。", "Your consultation at {when} was declined."),
    "consultation_cancelled_title": ("咨询已取消", "Consultation cancelled"),
    "consultation_cancelled_body": ("{when} 的咨询已取消。", "The consultation at {when} was cancelled."),
    "consultation_completed_title": ("咨询已完成", "Consultation completed"),
    "consultation_completed_body": ("指导师留下了 {when} 咨询的小结。", "The instructor left a summary of the {when} "
                                                                       "consultation."),
    "scope_school": ("学校", "a school"),
    "scope_district": ("区县", "a district"),
    "scope_station": ("服务站", "a service station"),
    "scope_city": ("全市（不填范围）", "the city (no scope)"),
    "scope_school_or_district_or_city": ("学校、区县或全市", "a school, a district or the city"),
}


class Ref(str):
    """A message parameter that is itself a catalog key, translated with the message."""


def translate(key: str, language: Language, params: dict[str, object] | None = None) -> str:
    zh, en = CATALOG.get(key, (key, key))
    text = en if language == "en" else zh
    if not params:
        return text
    values = {k: _param(v, language) for k, v in params.items()}
    return text.format(**values)


def _param(value: object, language: Language) -> object:
    # A Ref, or {"t": key} once stored as JSON, is itself a message to translate.
    if isinstance(value, Ref):
        return translate(value, language)
    if isinstance(value, dict) and set(value) == {"t"}:
        return translate(str(value["t"]), language)
    return value


def ref(key: str) -> dict[str, str]:
    """A translatable parameter that survives being stored as JSON."""
    return {"t": key}


def language_from_header(header: str | None) -> Language:
    """zh-CN unless the client prefers English."""
    if not header:
        return "zh"
    best, best_q = "zh", -1.0
    for part in header.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if weight <= 0:
            continue  # q=0: "not this one"
        if primary in ("zh", "en") and weight > best_q:
            best, best_q = primary, weight
    return "en" if best == "en" else "zh"
