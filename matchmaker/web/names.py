"""English names for the reference lists' entries, which are stored as their Chinese names.

Each English name is a msgid whose Chinese translation is the stored name itself, so Chinese
pages show exactly what is stored and English pages show the name below.
"""

from collections.abc import Iterable

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from matchmaker.web.i18n import in_language

FIELD_NAMES = {
    "工业软件": _l("Industrial software"),
    "汽车软件": _l("Automotive software"),
    "智能网联汽车": _l("Intelligent connected vehicles"),
    "人工智能": _l("Artificial intelligence"),
    "信息安全/网络安全": _l("Information security / cybersecurity"),
    "卫星互联网": _l("Satellite internet"),
    "东数西算/算力": _l("East Data West Computing / computing power"),
    "区块链": _l("Blockchain"),
    "物联网": _l("Internet of Things"),
    "工业互联网": _l("Industrial internet"),
    "大数据": _l("Big data"),
    "数字内容": _l("Digital content"),
    "智慧制造": _l("Smart manufacturing"),
    "智慧政务": _l("Smart government"),
    "智慧交通": _l("Smart transport"),
    "智慧医疗": _l("Smart healthcare"),
    "量子信息": _l("Quantum information"),
    "超高清视频": _l("Ultra-high-definition video"),
    "北斗应用": _l("BeiDou applications"),
    "集成电路": _l("Integrated circuits"),
    "智能终端": _l("Smart devices"),
}

# All of Chongqing's 38 districts and counties and the three development zones.
DISTRICT_NAMES = {
    "渝中区": _l("Yuzhong District"),
    "大渡口区": _l("Dadukou District"),
    "江北区": _l("Jiangbei District"),
    "沙坪坝区": _l("Shapingba District"),
    "九龙坡区": _l("Jiulongpo District"),
    "南岸区": _l("Nan'an District"),
    "北碚区": _l("Beibei District"),
    "渝北区": _l("Yubei District"),
    "巴南区": _l("Banan District"),
    "两江新区": _l("Liangjiang New Area"),
    "西部科学城重庆高新区": _l("Chongqing High-tech Zone (Western Science City)"),
    "重庆经开区": _l("Chongqing Economic and Technological Development Zone"),
    "万州区": _l("Wanzhou District"),
    "涪陵区": _l("Fuling District"),
    "黔江区": _l("Qianjiang District"),
    "长寿区": _l("Changshou District"),
    "江津区": _l("Jiangjin District"),
    "合川区": _l("Hechuan District"),
    "永川区": _l("Yongchuan District"),
    "南川区": _l("Nanchuan District"),
    "璧山区": _l("Bishan District"),
    "铜梁区": _l("Tongliang District"),
    "潼南区": _l("Tongnan District"),
    "荣昌区": _l("Rongchang District"),
    "綦江区": _l("Qijiang District"),
    "大足区": _l("Dazu District"),
    "开州区": _l("Kaizhou District"),
    "梁平区": _l("Liangping District"),
    "武隆区": _l("Wulong District"),
    "城口县": _l("Chengkou County"),
    "丰都县": _l("Fengdu County"),
    "垫江县": _l("Dianjiang County"),
    "忠县": _l("Zhong County"),
    "云阳县": _l("Yunyang County"),
    "奉节县": _l("Fengjie County"),
    "巫山县": _l("Wushan County"),
    "巫溪县": _l("Wuxi County"),
    "石柱土家族自治县": _l("Shizhu Tujia Autonomous County"),
    "秀山土家族苗族自治县": _l("Xiushan Tujia and Miao Autonomous County"),
    "酉阳土家族苗族自治县": _l("Youyang Tujia and Miao Autonomous County"),
    "彭水苗族土家族自治县": _l("Pengshui Miao and Tujia Autonomous County"),
}

QUALIFICATION_NAMES = {
    "专精特新": _l("Specialised and innovative SME ('Zhuanjingtexin')"),
    "国家重点软件企业": _l("National key software enterprise"),
    "高新技术企业": _l("High-tech enterprise"),
    "科技型中小企业": _l("Technology-based SME"),
    "CMMI3": _l("CMMI level 3"),
    "CMMI5": _l("CMMI level 5"),
    "ISO27001": _l("ISO 27001"),
    "信息系统建设和服务能力等级证书": _l(
        "Certificate of information system construction and service capability"
    ),
    "等保测评资质": _l("Licence for classified cybersecurity protection assessment"),
}

NAMES: dict[str, LazyString] = {**FIELD_NAMES, **DISTRICT_NAMES, **QUALIFICATION_NAMES}


def reference_label(name: str) -> str:
    """The reader's name for a stored field, district or qualification; unknown names as stored."""
    return in_language(NAMES).get(name, name)


def reference_choices(names: Iterable[str]) -> list[SelectChoice]:
    """Form choices whose value is the stored name and whose label is named when shown."""
    return [SelectChoice(name, LazyString(reference_label, name)) for name in names]


def reference_options(names: Iterable[str]) -> list[tuple[str, str]]:
    """(stored name, reader's name) pairs for a filter's options."""
    labels = in_language(NAMES)
    return [(name, labels.get(name, name)) for name in names]
