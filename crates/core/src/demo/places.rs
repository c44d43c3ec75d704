//! The demo's places: Harbin's divisions (GB/T 2260 to county level, the
//! streets and communities illustrative) and the departments of the city
//! and of two districts.

/// (code, kind, Chinese, English)
pub(super) type Div = (&'static str, &'static str, &'static str, &'static str);

pub(super) const DIVISIONS: &[Div] = &[
    ("230000", "province", "黑龙江省", "Heilongjiang Province"),
    ("230100", "city", "哈尔滨市", "Harbin"),
    ("230102", "district", "道里区", "Daoli District"),
    ("230103", "district", "南岗区", "Nangang District"),
    ("230104", "district", "道外区", "Daowai District"),
    ("230108", "district", "平房区", "Pingfang District"),
    ("230109", "district", "松北区", "Songbei District"),
    ("230110", "district", "香坊区", "Xiangfang District"),
    ("230111", "district", "呼兰区", "Hulan District"),
    ("230112", "district", "阿城区", "Acheng District"),
    ("230113", "district", "双城区", "Shuangcheng District"),
    ("230123", "county", "依兰县", "Yilan County"),
    ("230124", "county", "方正县", "Fangzheng County"),
    ("230125", "county", "宾县", "Bin County"),
    ("230126", "county", "巴彦县", "Bayan County"),
    ("230127", "county", "木兰县", "Mulan County"),
    ("230128", "county", "通河县", "Tonghe County"),
    ("230129", "county", "延寿县", "Yanshou County"),
    ("230183", "county_city", "尚志市", "Shangzhi City"),
    ("230184", "county_city", "五常市", "Wuchang City"),
    // 道里区 streets and communities
    ("230102001", "street", "兆麟街道", "Zhaolin Subdistrict"),
    (
        "230102001001",
        "community",
        "红星社区",
        "Hongxing Community",
    ),
    ("230102001002", "community", "兆麟社区", "Zhaolin Community"),
    ("230102001003", "community", "友谊社区", "Youyi Community"),
    ("230102002", "street", "新阳路街道", "Xinyanglu Subdistrict"),
    ("230102002001", "community", "新阳社区", "Xinyang Community"),
    ("230102002002", "community", "安发社区", "Anfa Community"),
    ("230102003", "street", "抚顺街道", "Fushun Subdistrict"),
    ("230102003001", "community", "抚顺社区", "Fushun Community"),
    ("230102003002", "community", "河润社区", "Herun Community"),
    ("230102004", "street", "共乐街道", "Gongle Subdistrict"),
    ("230102004001", "community", "共乐社区", "Gongle Community"),
    ("230102004002", "community", "民安社区", "Min'an Community"),
    // 南岗区 streets and communities
    ("230103001", "street", "花园街道", "Huayuan Subdistrict"),
    ("230103001001", "community", "花园社区", "Huayuan Community"),
    (
        "230103001002",
        "community",
        "邮政社区",
        "Youzheng Community",
    ),
    ("230103002", "street", "大成街道", "Dacheng Subdistrict"),
    ("230103002001", "community", "大成社区", "Dacheng Community"),
    (
        "230103002002",
        "community",
        "西大直社区",
        "Xidazhi Community",
    ),
    ("230103003", "street", "奋斗路街道", "Fendoulu Subdistrict"),
    ("230103003001", "community", "奋斗社区", "Fendou Community"),
    (
        "230103003002",
        "community",
        "东大直社区",
        "Dongdazhi Community",
    ),
    ("230103004", "street", "哈西街道", "Haxi Subdistrict"),
    ("230103004001", "community", "哈西社区", "Haxi Community"),
    ("230103004002", "community", "学府社区", "Xuefu Community"),
    ("230103005", "street", "和兴路街道", "Hexinglu Subdistrict"),
    ("230103005001", "community", "和兴社区", "Hexing Community"),
    ("230103005002", "community", "林兴社区", "Linxing Community"),
];

/// Municipal departments under 哈尔滨市人民政府: (kind, Chinese, short, English).
pub(super) const CITY_DEPARTMENTS: &[(&str, &str, &str, &str)] = &[
    (
        "department",
        "哈尔滨市人民政府办公厅",
        "市政府办公厅",
        "General Office of Harbin Municipal Government",
    ),
    (
        "service_center",
        "哈尔滨市政务服务中心",
        "市政务服务中心",
        "Harbin Government Service Center",
    ),
    (
        "department",
        "哈尔滨市营商环境建设监督局",
        "市营商环境局",
        "Harbin Business Environment Bureau",
    ),
    (
        "department",
        "哈尔滨市发展和改革委员会",
        "市发改委",
        "Harbin Development and Reform Commission",
    ),
    (
        "department",
        "哈尔滨市工业和信息化局",
        "市工信局",
        "Harbin Industry and Information Technology Bureau",
    ),
    (
        "department",
        "哈尔滨市公安局",
        "市公安局",
        "Harbin Public Security Bureau",
    ),
    (
        "department",
        "哈尔滨市民政局",
        "市民政局",
        "Harbin Civil Affairs Bureau",
    ),
    (
        "department",
        "哈尔滨市财政局",
        "市财政局",
        "Harbin Finance Bureau",
    ),
    (
        "department",
        "哈尔滨市人力资源和社会保障局",
        "市人社局",
        "Harbin Human Resources and Social Security Bureau",
    ),
    (
        "department",
        "哈尔滨市自然资源和规划局",
        "市自然资源和规划局",
        "Harbin Natural Resources and Planning Bureau",
    ),
    (
        "department",
        "哈尔滨市住房和城乡建设局",
        "市住建局",
        "Harbin Housing and Urban-Rural Development Bureau",
    ),
    (
        "department",
        "哈尔滨市交通运输局",
        "市交通运输局",
        "Harbin Transport Bureau",
    ),
    (
        "department",
        "哈尔滨市卫生健康委员会",
        "市卫健委",
        "Harbin Health Commission",
    ),
    (
        "department",
        "哈尔滨市市场监督管理局",
        "市市场监管局",
        "Harbin Market Supervision Administration",
    ),
    (
        "department",
        "哈尔滨市医疗保障局",
        "市医保局",
        "Harbin Healthcare Security Administration",
    ),
    (
        "department",
        "国家税务总局哈尔滨市税务局",
        "市税务局",
        "Harbin Municipal Tax Service, STA",
    ),
    (
        "department",
        "哈尔滨市生态环境局",
        "市生态环境局",
        "Harbin Ecology and Environment Bureau",
    ),
    (
        "department",
        "哈尔滨市教育局",
        "市教育局",
        "Harbin Education Bureau",
    ),
];

/// District departments created for 道里区 and 南岗区: (kind, suffix, English suffix).
pub(super) const DISTRICT_DEPARTMENTS: &[(&str, &str, &str)] = &[
    (
        "service_center",
        "政务服务中心",
        "Government Service Center",
    ),
    ("department", "市场监督管理局", "Market Supervision Bureau"),
    (
        "department",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    ),
    ("department", "民政局", "Civil Affairs Bureau"),
    (
        "department",
        "住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
    ),
];
