"""Reference lists from the 满天星 documents: fields, districts and counties, qualifications."""

FIELDS: tuple[str, ...] = (
    "工业软件",
    "汽车软件",
    "智能网联汽车",
    "人工智能",
    "信息安全/网络安全",
    "卫星互联网",
    "东数西算/算力",
    "区块链",
    "物联网",
    "工业互联网",
    "大数据",
    "数字内容",
    "智慧制造",
    "智慧政务",
    "智慧交通",
    "智慧医疗",
    "量子信息",
    "超高清视频",
    "北斗应用",
    "集成电路",
    "智能终端",
)

CENTRAL_DISTRICTS: tuple[str, ...] = (
    "渝中区",
    "大渡口区",
    "江北区",
    "沙坪坝区",
    "九龙坡区",
    "南岸区",
    "北碚区",
    "渝北区",
    "巴南区",
    "两江新区",
    "西部科学城重庆高新区",
    "重庆经开区",
)

OTHER_DISTRICTS: tuple[str, ...] = (
    "万州区",
    "涪陵区",
    "黔江区",
    "长寿区",
    "江津区",
    "合川区",
    "永川区",
    "南川区",
    "璧山区",
    "铜梁区",
    "潼南区",
    "荣昌区",
    "綦江区",
    "大足区",
    "开州区",
    "梁平区",
    "武隆区",
)

COUNTIES: tuple[str, ...] = (
    "城口县",
    "丰都县",
    "垫江县",
    "忠县",
    "云阳县",
    "奉节县",
    "巫山县",
    "巫溪县",
    "石柱土家族自治县",
    "秀山土家族苗族自治县",
    "酉阳土家族苗族自治县",
    "彭水苗族土家族自治县",
)

# Every district list offers all 38 districts and counties (26 区, 8 县, 4 自治县) and the three
# development zones that post and register like districts.
DISTRICTS: tuple[str, ...] = CENTRAL_DISTRICTS + OTHER_DISTRICTS + COUNTIES

QUALIFICATIONS: tuple[str, ...] = (
    "专精特新",
    "国家重点软件企业",
    "高新技术企业",
    "科技型中小企业",
    "CMMI3",
    "CMMI5",
    "ISO27001",
    "信息系统建设和服务能力等级证书",
    "等保测评资质",
)
