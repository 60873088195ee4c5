"""The 静待花开 column: who publishes what for whom, search and facets, progress that only goes
forward, recommendations by the children's grades, and the counts per district."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise import connections

from tests.helpers import contract_operation, error_codes, user_error_codes
from tests.test_access_matrix import ROLES


def _op(name: str) -> str:
    return contract_operation("column.graphql", name)


EPISODES, FACETS, DETAIL = _op("ColumnEpisodes"), _op("ColumnFacets"), _op("ColumnEpisodeDetail")
RECOMMENDED, RECORD, FINISHED = _op("RecommendedColumnEpisodes"), _op("RecordColumnEpisodeProgress"), _op(
    "MyFinishedColumnEpisodes")
CREATE, UPDATE, PUBLISH, UNPUBLISH = _op("CreateColumnEpisode"), _op("UpdateColumnEpisode"), _op(
    "PublishColumnEpisode"), _op("UnpublishColumnEpisode")
STATS = _op("ColumnEpisodeStats")


def _episode(**overrides) -> dict:
    return {"title": "如何陪孩子写作业", "summary": "不催不吼，陪伴孩子养成专注的学习习惯。", "format": "VIDEO",
            "series": "家长课堂", "topics": ["学习习惯"], "gradeBands": ["LOWER_PRIMARY"], "durationSeconds": 600,
            "mediaUrl": "https://tv.baotou.example/jdhk/1.mp4", "publish": True} | overrides


async def _create(api, world, by="city_admin", **overrides) -> dict:
    return (await api.data(CREATE, {"input": _episode(**overrides)}, token=world[by].token))["createColumnEpisode"]


async def _ids(api, world, who, variables=None) -> list[str]:
    body = await api.data(EPISODES, {"first": 50} | (variables or {}), token=world[who].token)
    return [e["node"]["id"] for e in body["columnEpisodes"]["edges"]]


async def _record(api, world, who, episode, position, finished=None) -> dict:
    variables = {"episodeId": episode["id"], "positionSeconds": position} | (
        {} if finished is None else {"finished": finished})
    return (await api.data(RECORD, variables, token=world[who].token))["recordColumnEpisodeProgress"]


async def test_city_administrators_publish_city_wide_district_administrators_for_their_district(api, world):
    city = await _create(api, world)
    assert city["userErrors"] == [] and city["episode"]["status"] == "PUBLISHED" and city["episode"]["publishedAt"]
    assert city["episode"]["district"] is None
    own = await _create(api, world, by="district_admin_a", districtId=world.gid(world.district_a), publish=False)
    assert own["episode"] == {"id": own["episode"]["id"], "status": "DRAFT", "publishedAt": None,
                              "district": {"id": world.gid(world.district_a)}}
    for variables in ({}, {"districtId": world.gid(world.district_b)}):
        body = await api.gql(CREATE, {"input": _episode(**variables)}, token=world["district_admin_a"].token)
        assert error_codes(body) == ["FORBIDDEN"], variables
    unknown = await _create(api, world, districtId="bm90LWEtZGlzdHJpY3Q")
    assert user_error_codes(unknown) == [("NOT_FOUND", "districtId")]
    for role in ("parent", "teacher", "school_admin", "counsellor", "instructor", "station_staff"):
        assert error_codes(await api.gql(CREATE, {"input": _episode()}, token=world[ROLES[role]].token)) == [
            "FORBIDDEN"], role
    count = await connections.get("default").execute_query_dict("SELECT count(*) AS n FROM column_episode")
    assert count == [{"n": 2}]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": " "}, "title"), ({"title": "长" * 61}, "title"), ({"summary": "长" * 501}, "summary"),
    ({"series": "长" * 31}, "series"), ({"topics": ["一", "二", "三", "四", "五", "六"]}, "topics"),
    ({"topics": ["长" * 13]}, "topics[0]"), ({"gradeBands": []}, "gradeBands"),
    ({"durationSeconds": 0}, "durationSeconds"), ({"durationSeconds": 14401}, "durationSeconds"),
    ({"mediaUrl": "http://tv.baotou.example/1.mp4"}, "mediaUrl"), ({"mediaUrl": "https://" + "a" * 500}, "mediaUrl"),
    ({"coverImageUrl": "javascript:alert(1)"}, "coverImageUrl"), ({"title": "标题\x00"}, "title"),
])
async def test_every_limit_of_an_episode_is_its_own_error_and_nothing_is_written(api, world, overrides, field):
    assert user_error_codes(await _create(api, world, **overrides)) == [("INVALID_INPUT", field)]
    count = await connections.get("default").execute_query_dict("SELECT count(*) AS n FROM column_episode")
    assert count == [{"n": 0}]


async def test_who_sees_an_episode_city_wide_by_district_and_drafts(api, world):
    city = (await _create(api, world))["episode"]
    district_a = (await _create(api, world, by="district_admin_a", districtId=world.gid(world.district_a),
                                title="昆区家长学校"))["episode"]
    draft = (await _create(api, world, publish=False, title="草稿"))["episode"]
    expected = {
        "parent": {city["id"], district_a["id"]}, "teacher": {city["id"], district_a["id"]},
        "counsellor": {city["id"], district_a["id"]}, "district_counsellor": {city["id"], district_a["id"]},
        "city_counsellor": {city["id"]}, "school_admin": {city["id"], district_a["id"]},
        "district_admin": {city["id"], district_a["id"]}, "city_admin": {city["id"], district_a["id"], draft["id"]},
        "instructor": {city["id"], district_a["id"]}, "station_staff": {city["id"], district_a["id"]},
    }
    seen = {role: set(await _ids(api, world, key)) for role, key in ROLES.items() if key}
    assert seen == expected
    # the other district's families and staff see only what is city-wide
    for who in ("parent_b", "teacher_b", "district_admin_b"):
        assert set(await _ids(api, world, who)) == {city["id"]}, who
        assert (await api.data(DETAIL, {"id": district_a["id"]}, token=world[who].token))["node"] is None
    assert (await api.data(DETAIL, {"id": draft["id"]}, token=world["parent_a"].token))["node"] is None
    # a draft does not exist for others: NOT_FOUND, as for a missing one
    hidden = await api.data(RECORD, {"episodeId": draft["id"], "positionSeconds": 1}, token=world["parent_a"].token)
    assert user_error_codes(hidden["recordColumnEpisodeProgress"]) == [("NOT_FOUND", "episodeId")]
    edit = await api.data(UPDATE, {"input": {"episodeId": draft["id"], "title": "改"}},
                          token=world["district_admin_a"].token)
    assert user_error_codes(edit["updateColumnEpisode"]) == [("NOT_FOUND", "episodeId")]
    # a published city-wide episode is seen by a district administrator, not theirs to edit
    assert error_codes(await api.gql(UPDATE, {"input": {"episodeId": city["id"], "title": "改"}},
                                     token=world["district_admin_a"].token)) == ["FORBIDDEN"]
    # status is for administrators: a parent asking for drafts gets the published ones
    assert set(await _ids(api, world, "parent_a", {"filter": {"status": "DRAFT"}})) == expected["parent"]
    assert await _ids(api, world, "city_admin", {"filter": {"status": "DRAFT"}}) == [draft["id"]]


async def test_search_series_topics_format_child_and_facets(api, world):
    await _create(api, world, title="青春期的亲子沟通", summary="理解孩子的叛逆", series="家长课堂",
                  topics=["亲子沟通"], gradeBands=["JUNIOR_SECONDARY"])
    reading = (await _create(api, world, title="睡前共读", summary="亲子阅读的方法", format="AUDIO", series="好书推荐",
                             topics=["阅读", "亲子沟通"], gradeBands=["LOWER_PRIMARY", "UPPER_PRIMARY"]))["episode"]
    assert len(await _ids(api, world, "parent_a", {"filter": {"search": "亲子"}})) == 2
    assert await _ids(api, world, "parent_a", {"filter": {"search": "共读"}}) == [reading["id"]]
    assert await _ids(api, world, "parent_a", {"filter": {"search": "数学"}}) == []
    assert await _ids(api, world, "parent_a", {"filter": {"series": "好书推荐"}}) == [reading["id"]]
    assert len(await _ids(api, world, "parent_a", {"filter": {"topic": "亲子沟通"}})) == 2
    assert await _ids(api, world, "parent_a", {"filter": {"format": "AUDIO"}}) == [reading["id"]]
    # 张小明 is in grade 3: the lower-primary episode suits him; a child not theirs: nothing
    assert await _ids(api, world, "parent_a", {"filter": {"forStudentId": world.gid(world.students["a"])}}) == [
        reading["id"]]
    assert await _ids(api, world, "parent_a", {"filter": {"forStudentId": world.gid(world.students["b"])}}) == []
    facets = (await api.data(FACETS, token=world["parent_a"].token))["columnFacets"]
    assert facets == {"series": [{"name": "好书推荐", "episodeCount": 1}, {"name": "家长课堂", "episodeCount": 1}],
                      "topics": [{"name": "亲子沟通", "episodeCount": 2}, {"name": "阅读", "episodeCount": 1}]}


async def test_progress_only_goes_forward_and_finishes_once(api, world):
    episode = (await _create(api, world, durationSeconds=300))["episode"]
    first = await _record(api, world, "parent_a", episode, 120)
    assert (first["progress"]["positionSeconds"], first["progress"]["finishedAt"]) == (120, None)
    back = await _record(api, world, "parent_a", episode, 30)
    assert back["progress"]["positionSeconds"] == 120 and back["progress"]["updatedAt"] == first["progress"][
        "updatedAt"]
    assert user_error_codes(await _record(api, world, "parent_a", episode, 301)) == [
        ("INVALID_INPUT", "positionSeconds")]
    assert user_error_codes(await _record(api, world, "parent_a", episode, -1)) == [
        ("INVALID_INPUT", "positionSeconds")]
    done = await _record(api, world, "parent_a", episode, 300)  # the end finishes it
    finished_at = done["progress"]["finishedAt"]
    assert finished_at
    again = await _record(api, world, "parent_a", episode, 10, finished=False)
    assert again["progress"]["finishedAt"] == finished_at and again["progress"]["positionSeconds"] == 300
    article = (await _create(api, world, format="ARTICLE", title="读完即可", durationSeconds=240))["episode"]
    read = await _record(api, world, "parent_a", article, 100, finished=True)
    assert read["progress"]["finishedAt"] and read["progress"]["positionSeconds"] == 100
    history = (await api.data(FINISHED, {"first": 10}, token=world["parent_a"].token))["viewer"]["columnHistory"]
    assert [n["episode"]["id"] for n in history["nodes"]] == [article["id"], episode["id"]]
    await api.data(UNPUBLISH, {"episodeId": article["id"]}, token=world["city_admin"].token)
    history = (await api.data(FINISHED, {"first": 10}, token=world["parent_a"].token))["viewer"]["columnHistory"]
    assert [n["episode"]["id"] for n in history["nodes"]] == [episode["id"]] and history["totalCount"] == 1
    detail = (await api.data(DETAIL, {"id": episode["id"]}, token=world["parent_a"].token))["node"]
    assert detail["viewerProgress"]["positionSeconds"] == 300 and detail["mediaUrl"].startswith("https://")


async def test_recommendations_follow_the_childrens_grades_not_started_first(api, world):
    lower = [(await _create(api, world, title=f"低年级 {i}", gradeBands=["LOWER_PRIMARY"]))["episode"]
             for i in range(3)]
    await _create(api, world, title="高中", gradeBands=["SENIOR_SECONDARY"])
    await _record(api, world, "parent_a", lower[0], 10)  # started
    await _record(api, world, "parent_a", lower[1], 600)  # finished: left out
    body = await api.data(RECOMMENDED, {"first": 10}, token=world["parent_a"].token)
    assert [e["node"]["id"] for e in body["viewer"]["recommendedColumnEpisodes"]["edges"]] == [
        lower[2]["id"], lower[0]["id"]]
    page = await api.data(RECOMMENDED, {"first": 1}, token=world["parent_a"].token)
    cursor = page["viewer"]["recommendedColumnEpisodes"]["pageInfo"]["endCursor"]
    rest = await api.data(RECOMMENDED, {"first": 5, "after": cursor}, token=world["parent_a"].token)
    assert [e["node"]["id"] for e in rest["viewer"]["recommendedColumnEpisodes"]["edges"]] == [lower[0]["id"]]
    nobody = await api.data(RECOMMENDED, {"first": 10}, token=world["teacher_a"].token)
    assert nobody["viewer"]["recommendedColumnEpisodes"]["totalCount"] == 0


async def test_editing_keeps_what_is_left_out_and_null_clears(api, world):
    episode = (await _create(api, world, coverImageUrl="https://tv.baotou.example/c.jpg"))["episode"]
    edited = (await api.data(UPDATE, {"input": {"episodeId": episode["id"], "title": "新标题", "series": None,
                                                "coverImageUrl": None}},
                             token=world["city_admin"].token))["updateColumnEpisode"]
    node = edited["episode"]
    assert (node["title"], node["series"], node["coverImageUrl"], node["summary"]) == (
        "新标题", None, None, "不催不吼，陪伴孩子养成专注的学习习惯。")
    assert await _ids(api, world, "parent_a", {"filter": {"search": "新标题"}}) == [episode["id"]]
    first_published = node["publishedAt"]
    await api.data(UNPUBLISH, {"episodeId": episode["id"]}, token=world["city_admin"].token)
    assert await _ids(api, world, "parent_a") == []
    again = (await api.data(PUBLISH, {"episodeId": episode["id"]}, token=world["city_admin"].token))
    assert again["setColumnEpisodePublished"]["episode"]["publishedAt"] == first_published


async def test_views_and_completions_per_district_for_the_editors(api, world):
    city = (await _create(api, world, durationSeconds=100))["episode"]
    own = (await _create(api, world, by="district_admin_a", districtId=world.gid(world.district_a),
                         durationSeconds=100, title="昆区"))["episode"]
    for who, position in (("parent_a", 100), ("parent_a2", 10), ("teacher_a", 100), ("parent_b", 50)):
        await _record(api, world, who, city, position)
    await _record(api, world, "parent_a", own, 100)
    body = await api.data(STATS, {"first": 10}, token=world["city_admin"].token)
    stats = {n["id"]: n["stats"] for n in body["columnEpisodes"]["nodes"]}
    rows = {d["district"]["id"]: (d["views"], d["completions"]) for d in stats[city["id"]]["byDistrict"]}
    assert (stats[city["id"]]["views"], stats[city["id"]]["completions"]) == (4, 2)
    assert rows == {world.gid(world.district_a): (3, 2), world.gid(world.district_b): (1, 0)}
    district = await api.data(STATS, {"first": 10}, token=world["district_admin_a"].token)
    mine = {n["id"]: n["stats"] for n in district["columnEpisodes"]["nodes"]}
    assert mine[city["id"]] is None  # not theirs to edit
    assert (mine[own["id"]]["views"], mine[own["id"]]["completions"]) == (1, 1)
    assert [d["district"]["id"] for d in mine[own["id"]]["byDistrict"]] == [world.gid(world.district_a)]
    parent = await api.data(STATS, {"first": 10}, token=world["parent_a"].token)
    assert {n["stats"] is None for n in parent["columnEpisodes"]["nodes"]} == {True}


async def test_the_dashboard_counts_the_years_views_per_district_and_withholds_small_counts(api, world):
    figures = contract_operation("screens-next.graphql", "ProgrammeDashboardNewFigures")
    episode = (await _create(api, world, durationSeconds=100))["episode"]
    for who in ("parent_a", "parent_a2", "teacher_a", "counsellor_a", "school_admin_a"):
        await _record(api, world, who, episode, 100 if who.startswith("parent") else 10)
    await _record(api, world, "parent_b", episode, 100)
    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year

    async def column(district=None) -> dict:
        variables = {"year": year} | ({"districtId": world.gid(district)} if district else {})
        body = await api.data(figures, variables, token=world["city_admin"].token)
        return body["programmeDashboard"]["column"]

    assert await column() == {"views": 6, "completions": None}  # 3 completions: withheld
    assert await column(world.district_a) == {"views": 5, "completions": None}
    assert await column(world.district_b) == {"views": None, "completions": None}  # one person each
