"""What Baotou's data looks like: people's names, schools, communities and where the districts are."""

from __future__ import annotations

import random

# The commonest surnames first; weights roughly follow their frequency in northern China.
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("浩宇轩涵子欣怡梓然雨桐思远诺佳琪航晨曦俊杰博文嘉心悦明辉建国志强秀英丽娟海燕桂兰玉梅晓东红霞静雅婷鑫磊"
         "昊天泽一鸣若汐乐瑶沐阳锦程")
# Mongolian given names are common in Baotou (written in Chinese characters).
MONGOLIAN = ("巴特尔", "乌日娜", "其其格", "苏日娜", "额尔敦", "宝音", "那仁", "萨仁", "阿拉坦", "图雅")

#: Approximate centre (latitude, longitude) of each district, by its administrative code.
DISTRICT_CENTRES = {
    "150203": (40.6570, 109.8220),  # 昆都仑区
    "150204": (40.6430, 109.9010),  # 青山区
    "150202": (40.5760, 110.0440),  # 东河区
    "150207": (40.6060, 109.9670),  # 九原区
    "150205": (40.6730, 110.2720),  # 石拐区
    "150206": (41.7690, 109.9700),  # 白云鄂博矿区
    "150221": (40.5650, 110.5230),  # 土默特右旗
    "150222": (41.0340, 110.0600),  # 固阳县
    "150223": (41.6980, 110.4330),  # 达尔罕茂明安联合旗
    "150271": (40.6220, 109.8000),  # 稀土高新区
}
#: How the city's schools and people spread over the districts (the urban districts hold most).
DISTRICT_WEIGHTS = {"150203": 18, "150204": 16, "150202": 14, "150207": 12, "150205": 2, "150206": 1,
                    "150221": 9, "150222": 6, "150223": 4, "150271": 18}

ROADS = ("阿尔丁大街", "钢铁大街", "民族东路", "建设路", "友谊大街", "青年路", "幸福南路", "黄河大街", "劳动路",
         "巴彦塔拉大街", "团结大街", "兵工路", "少先路", "林荫路", "市府东路", "呼得木林大街")
COMMUNITIES = ("友谊", "团结", "幸福", "和平", "新华", "光明", "阳光", "富强", "鹿城", "宏图", "民主", "胜利",
               "迎宾", "青年", "北梁", "南排", "东站", "西河", "科技", "维多利", "万达", "绿都", "华丰", "金桥")
NUMERALS = "一二三四五六七八九十"
SCHOOL_KINDS = {"PRIMARY": "小学", "JUNIOR_SECONDARY": "中学", "NINE_YEAR": "九年一贯制学校"}
SUBJECTS = ("语文", "数学", "英语", "体育", "音乐", "美术", "科学", "道德与法治")
SPECIALTIES = ("亲子沟通", "青春期教育", "学业压力", "情绪管理", "隔代教养", "家庭关系", "网络成瘾", "特殊需要儿童",
               "习惯养成", "心理健康")
STATION_SERVICES = ("家庭教育咨询", "亲子活动", "家长课堂", "心理疏导", "课后托管", "法律咨询")


def person_name(rng: random.Random) -> str:
    if rng.random() < 0.04:
        return rng.choice(MONGOLIAN)
    surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.8 else "")
    return surname + given


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (up to 99)."""
    tens, units = divmod(n, 10)
    text = ("" if tens < 2 else NUMERALS[tens - 1]) + ("十" if tens else "") + (NUMERALS[units - 1] if units else "")
    return text or "零"


def address(rng: random.Random, district: str) -> str:
    return f"包头市{district}{rng.choice(ROADS)}{rng.randint(1, 300)}号"


def near(rng: random.Random, centre: tuple[float, float], spread_km: float) -> tuple[float, float]:
    """A point around ``centre``, within about ``spread_km``."""
    lat, lon = centre
    return (round(lat + rng.uniform(-spread_km, spread_km) / 111.0, 6),
            round(lon + rng.uniform(-spread_km, spread_km) / 84.0, 6))
