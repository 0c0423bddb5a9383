"""Small hand-written lists: a few buyers' scenarios and the firms' capabilities that fit them."""

import pytest

from matchmaker.matching import Entry, Matcher, MatcherConfig


def scenario(id: str, title: str, description: str, tags: list[str], field: str, **kw) -> Entry:
    return Entry(id, title, description, tags, field, kw.pop("district", "渝北区"), **kw)


SCENARIOS = [
    scenario(
        "s-ocr",
        "政务服务大厅证照材料自动录入",
        "办事群众提交的身份证、营业执照等证照材料需要人工录入，效率低、易出错，"
        "希望引入OCR能力自动提取证照字段并回填审批系统。",
        ["OCR", "政务服务"],
        "智慧政务",
        budget_wan=80,
    ),
    scenario(
        "s-parking",
        "城区路内停车泊位管理",
        "老城区路内停车位紧张，需要对泊位占用进行实时检测，发布停车诱导信息，支持无感支付。",
        ["智慧停车", "停车诱导"],
        "智慧交通",
        district="江北区",
    ),
    scenario(
        "s-pump",
        "水泵机组故障预警",
        "水厂的水泵机组偶发故障导致停水，希望通过振动、温度数据提前发现设备异常，实现故障预警。",
        ["故障预警", "设备运维"],
        "工业互联网",
        qualifications=("专精特新",),
    ),
    scenario(
        "s-v2x",
        "主城快速路车路协同示范",
        "在快速路部署路侧单元，实现车路协同信息发布，为网联车辆提供前方事故和拥堵预警。",
        ["车路协同", "路侧单元"],
        "智能网联汽车",
    ),
    scenario(
        "s-security",
        "区政务云等保三级测评整改",
        "区政务云平台需通过网络安全等级保护三级测评，需要渗透测试、漏洞扫描和安全加固服务。",
        ["等级保护", "网络安全"],
        "网络安全",
        qualifications=("等保测评资质",),
    ),
    scenario(
        "s-choir",
        "社区合唱团排练场地预约",
        "社区合唱团每周排练，需要一个预约排练场地和乐谱分发的小工具。",
        ["合唱", "乐谱"],
        "文化",
    ),
]

CAPABILITIES = [
    Entry(
        "c-ocr",
        "光学字符识别引擎",
        "支持身份证、营业执照、发票等证照票据的文字识别，字段自动提取，准确率99%。",
        ["文字识别", "证照识别"],
        "人工智能",
        "渝北区",
        budget_wan=20,
    ),
    Entry(
        "c-parking",
        "智慧停车云平台",
        "地磁与视频桩检测泊位占用，停车诱导屏实时发布空余泊位，支持无感支付和欠费追缴。",
        ["智慧停车", "无感支付"],
        "智慧交通",
        "江北区",
    ),
    Entry(
        "c-phm",
        "设备预测性维护系统",
        "采集旋转设备振动、温度数据，基于机理与机器学习模型进行设备健康评估和预测性维护。",
        ["预测性维护", "振动监测"],
        "工业互联网",
        "两江新区",
        qualifications=("专精特新", "高新技术企业"),
    ),
    Entry(
        "c-v2x",
        "C-V2X路侧感知与信息发布",
        "提供V2X路侧单元与边缘计算设备，融合雷达和视频感知，向网联车辆推送事故、拥堵预警。",
        ["V2X", "RSU"],
        "智能网联汽车",
        "两江新区",
    ),
    Entry(
        "c-security",
        "等保合规与渗透测试服务",
        "提供网络安全等级保护测评咨询、渗透测试、漏洞扫描、安全加固与整改服务。",
        ["等保", "渗透测试"],
        "网络安全",
        "渝中区",
        qualifications=("等保测评资质",),
    ),
    Entry(
        "c-bigdata",
        "政务大数据共享交换平台",
        "政务数据目录编制、共享交换与数据治理，支撑跨部门业务协同。",
        ["大数据", "数据共享"],
        "智慧政务",
        "渝北区",
    ),
    Entry(
        "c-traffic",
        "交通信号优化系统",
        "基于路口流量检测的信号灯配时优化，缓解拥堵，支持绿波协调。",
        ["信号优化", "智慧交通"],
        "智慧交通",
        "江北区",
    ),
    Entry(
        "c-bim",
        "BIM智慧工地管理平台",
        "基于建筑信息模型的施工进度、质量、安全管理，塔吊监测与劳务实名制。",
        ["BIM", "智慧工地"],
        "智慧城市",
        "沙坪坝区",
    ),
]


@pytest.fixture
def scenarios() -> list[Entry]:
    return list(SCENARIOS)


@pytest.fixture
def capabilities() -> list[Entry]:
    return list(CAPABILITIES)


@pytest.fixture
def matcher(scenarios: list[Entry], capabilities: list[Entry]) -> Matcher:
    # Few entries: the latent space gets only as many axes as the lists can carry.
    return Matcher(MatcherConfig(latent_dims=4)).fit(scenarios, capabilities)
