//! The exchange format, tested.

use super::*;

#[test]
fn materials_round_trip_through_the_compact_form() {
    for s in [
        "营业执照*#证照:营业执照",
        "户口簿*#共享:人口库",
        "照片",
        "申请书*",
        "临时救助申请书*#申请表",
    ] {
        assert_eq!(format_material(&parse_material(s).unwrap()), s);
    }
    assert_eq!(
        parse_material("申请书*#申请表").unwrap().fetchable,
        tongban_domain::catalog::Fetchable::FromForm
    );
    let m = parse_material(
        "营业执照*{copies=2|form=electronic|issuer=市场监督管理局|note=加盖公章}#证照:营业执照",
    )
    .unwrap();
    assert_eq!(
        (m.originals, m.copies, m.form.as_str(), m.source.as_str()),
        (1, 2, "electronic", "government")
    );
    assert_eq!(
        (m.issuer.as_str(), m.note.as_str()),
        ("市场监督管理局", "加盖公章")
    );
    assert_eq!(parse_material(&format_material(&m)).unwrap(), m);
    // The code, the file types and the size limit travel too.
    let drawing = parse_material("平面图*{code=M007|types=pdf+ofd|max_mb=50}").unwrap();
    assert_eq!(drawing.code, "M007");
    assert_eq!(drawing.file_types, ["pdf", "ofd"]);
    assert_eq!(drawing.max_mb, 50);
    assert_eq!(
        format_material(&drawing),
        "平面图*{code=M007|types=pdf+ofd|max_mb=50}"
    );
    assert!(
        parse_material("平面图{max_mb=big}")
            .unwrap_err()
            .contains("big")
    );
    // Separators inside free text cannot break the list apart.
    let tricky = Material {
        name: "证明".into(),
        note: "a|b；c{d}".into(),
        ..Material::default()
    };
    let back = parse_material(&format_material(&tricky)).unwrap();
    assert_eq!(back.note, "a，b，c，d，");
    assert!(
        parse_material("照片{colour=red}")
            .unwrap_err()
            .contains("colour")
    );
    assert!(
        parse_material("照片{copies=two}")
            .unwrap_err()
            .contains("two")
    );
    assert!(
        parse_material("照片#档案:人事")
            .unwrap_err()
            .contains("档案")
    );
    let f = parse_fee("工本费=20元/证@《收费通知》");
    assert_eq!(
        (f.name.as_str(), f.standard.as_str(), f.basis.as_str()),
        ("工本费", "20元/证", "《收费通知》")
    );
}

#[test]
fn situations_and_the_application_form_round_trip() {
    let g = Guide {
        situations: vec![Situation {
            code: String::new(),
            form: tongban_domain::catalog::form::text::parse(
                "# 受托人 | Agent\nagent: 受托人姓名 | Agent's name | text 50 | required\n",
            )
            .unwrap(),
            name: "委托他人办理".into(),
            materials: vec![
                parse_material("授权委托书*").unwrap(),
                parse_material("受托人身份证*#证照:居民身份证").unwrap(),
            ],
        }],
        form: tongban_domain::catalog::form::text::parse(
            "# 申请人 | Applicant\nname: 姓名 | Name | text 50 | required | prefill=name\n",
        )
        .unwrap(),
        ..Guide::default()
    };
    let org = Org {
        id: 1,
        credit_code: "X".into(),
        name_zh: "x".into(),
        name_en: String::new(),
        short_name_zh: String::new(),
        kind: "department".into(),
        admin_level: 3,
        division_code: "230100".into(),
        parent_id: None,
        path: "/".into(),
        phone: None,
        address_zh: None,
        version: 1,
    };
    let row = to_row("1", "2", &org, "230100", &g);
    assert_eq!(
        row.situations,
        "委托他人办理=授权委托书*、受托人身份证*#证照:居民身份证"
    );
    assert_eq!(guide_from_row(1, &row).0.situations, g.situations);
    // The form travels as its text (a local extension), and a line that
    // cannot be read is a problem of the row.
    assert!(
        row.form.contains("name: 姓名 | Name | text 50"),
        "{}",
        row.form
    );
    assert_eq!(guide_from_row(1, &row).0.form, g.form);
    let mut broken = row.clone();
    broken.form = "name: 姓名 | Name | colour\n".into();
    let (_, errors) = guide_from_row(7, &broken);
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].field.as_str()), (7, "form"));
    assert!(errors[0].message.contains("第1行"));
    // A situation's own questions travel too, after a line naming it.
    assert!(
        row.situation_forms
            .starts_with("@ 委托他人办理\n# 受托人 | Agent\n"),
        "{}",
        row.situation_forms
    );
    assert_eq!(
        guide_from_row(1, &row).0.situations[0].form,
        g.situations[0].form
    );
    // Every problem at once, each where it is: text before any situation,
    // an unknown situation, a line that cannot be read (counted in the cell).
    for (text, want) in [
        ("agent: x | y | text 5\n", "第1行：应先以"),
        (
            "@ 其他情形\nagent: x | y | text 5\n",
            "不在本事项的业务办理项中",
        ),
        (
            "@ 委托他人办理\n# 受托人 | Agent\nagent: x | y | colour\n",
            "第3行",
        ),
        ("@ 委托他人办理\n@ 委托他人办理\n", "写了两次"),
    ] {
        let mut broken = row.clone();
        broken.situation_forms = text.into();
        let (_, errors) = guide_from_row(3, &broken);
        assert!(
            errors
                .iter()
                .any(|e| e.field == "situation_forms" && e.message.contains(want)),
            "{text:?}: {errors:?}"
        );
    }
}

#[test]
fn the_csv_header_is_the_documented_column_list() {
    let bytes = to_csv(&[ExchangeRow::default()]).unwrap();
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(header, CSV_HEADER);
}

#[test]
fn csv_round_trips_and_bad_numbers_are_reported_per_row() {
    let row = ExchangeRow {
        catalog_code: "01".into(),
        task_name: "测试, \"引号\"".into(),
        anticipate_day: "二十".into(),
        ..ExchangeRow::default()
    };
    let bytes = to_csv(std::slice::from_ref(&row)).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let back = from_csv(&bytes).unwrap();
    assert_eq!(back, vec![row.clone()]);
    let (_, errors) = guide_from_row(2, &back[0]);
    assert_eq!(
        errors,
        vec![RowError {
            row: 2,
            field: "anticipate_day".into(),
            message: "“二十”不是数字".into()
        }]
    );
    assert!(from_csv(b"catalog_code,task_code\nx,y,z\n").is_err());
}
