//! The documents of an application itself: the receipt of a submitted one
//! (申请材料接收回执: what was received, when, under which number, the query
//! code that follows the case without an account, and what happens next
//! under Art. 32 of the Administrative Licensing Law), and the application
//! form (申请表) an applicant at a window signs. Rendered as official
//! documents.

use tongban_domain::catalog::{Fetchable, HANDLING_FORMS, label};

use super::Opened;
use super::materials::materials_of;
use crate::platform::clock::{date_cst, format_cst};
use crate::platform::pdf::Official;

/// The receipt of a submitted application; `None` while it is a draft or
/// when its item's version cannot be read. `track_url` is where the case
/// is followed with its number and query code.
pub fn receipt(o: &Opened, track_url: &str) -> Option<Official> {
    let (number, code, at, p) = (
        o.app.case_number.as_ref()?,
        o.query_code.as_ref()?,
        o.submitted_at?,
        o.item.as_ref()?,
    );
    let g = &p.guide;
    let d = date_cst(at);
    let given: Vec<String> = materials_of(g, &o.app.situation)
        .map(|m| {
            let n = o.app.files.iter().filter(|f| f.material == m.code).count();
            match &m.fetchable {
                Fetchable::Certificate(t) => format!("{}：免提交，由电子证照库获取（{t}）", m.name),
                Fetchable::SharedData(t) => format!("{}：免提交，由共享数据获取（{t}）", m.name),
                Fetchable::FromForm => format!("{}：由申请表生成，无需另行提交", m.name),
                Fetchable::No if n > 0 => format!("{}：已提交电子文件{n}份", m.name),
                Fetchable::No => format!("{}：未提交", m.name),
            }
        })
        .collect();
    let mut facts = vec![
        ("办件编号".to_owned(), number.clone()),
        ("查询码".to_owned(), code.clone()),
        ("事项名称".to_owned(), g.name.clone()),
        ("实施编码".to_owned(), p.task_code.clone()),
        ("申请人".to_owned(), o.app.applicant_name.clone()),
    ];
    if o.app.acting_name != o.app.applicant_name {
        facts.push(("经办人".to_owned(), o.app.acting_name.clone()));
    }
    facts.extend([
        ("提交时间".to_owned(), format_cst(at)),
        (
            "申报来源".to_owned(),
            label(HANDLING_FORMS, &o.app.source_code)
                .map_or("其他", |(zh, _)| zh)
                .to_owned(),
        ),
        ("承诺办结时限".to_owned(), g.promised_limit.words_zh()),
        ("法定办结时限".to_owned(), g.legal_limit.words_zh()),
    ]);
    Some(Official {
        title: "申请材料接收回执".into(),
        number: format!("编号：{number}"),
        addressee: o.app.applicant_name.clone(),
        body: vec![format!(
            "{}于{}提交的“{}”申请及材料已收到。本机关将自收到申请之日起五个工作日内作出是否受理的决定；\
             申请材料不齐全或者不符合法定形式的，将一次告知需要补正的全部内容。受理后，办结时限自受理之日起计算。",
            if o.app.applicant_credit.is_some() {
                o.app.applicant_name.as_str()
            } else {
                "您"
            },
            format_cst(at),
            g.name
        )],
        facts,
        list: Some(("收到的材料：".into(), given)),
        basis: o.receipt_basis.clone(),
        after: vec![format!(
            "咨询电话：{}；监督投诉电话：{}。",
            g.consult_phone, g.supervise_phone
        )],
        issuer: p.org.name_zh.clone(),
        date: format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
        footnote: format!(
            "凭办件编号和查询码可在 {track_url} 查询办理进度。本回执不作为受理凭证。"
        ),
    })
}

/// The application form (申请表) as the applicant signs it at a window: every
/// answer shown for the case, the files given, the declaration and the
/// signature lines. `division` names a division code.
pub fn application_form(o: &Opened, division: &dyn Fn(&str) -> Option<String>) -> Option<Official> {
    use tongban_domain::Lang;
    use tongban_domain::catalog::form::words;
    let p = o.item.as_ref()?;
    let g = &p.guide;
    let form = super::form_of(g, &o.app.situation);
    let mut answers = Vec::new();
    for s in &form.sections {
        if !form.section_shown(s, &o.app.fields) {
            continue;
        }
        for f in s
            .fields
            .iter()
            .filter(|f| form.field_shown(s, f, &o.app.fields))
        {
            let v = o
                .app
                .fields
                .get(&f.key)
                .map(|v| words::answer(f, v, Lang::ZhCn, division))
                .unwrap_or_default();
            answers.push(format!(
                "{}：{}",
                f.label,
                if v.is_empty() {
                    "（未填写）".into()
                } else {
                    v
                }
            ));
        }
    }
    for m in materials_of(g, &o.app.situation) {
        let given: Vec<&str> = o
            .app
            .files
            .iter()
            .filter(|f| f.material == m.code)
            .map(|f| f.name.as_str())
            .collect();
        let what = match &m.fetchable {
            Fetchable::Certificate(t) => format!("免提交，由电子证照库调取（{t}）"),
            Fetchable::SharedData(t) => format!("免提交，由共享数据调取（{t}）"),
            Fetchable::FromForm => "即本申请表".into(),
            Fetchable::No if given.is_empty() => "未提交".into(),
            Fetchable::No => given.join("、"),
        };
        answers.push(format!("材料：{}：{what}", m.name));
    }
    let d = crate::platform::clock::today_cst();
    let mut facts = vec![
        ("事项名称".to_owned(), g.name.clone()),
        ("实施编码".to_owned(), p.task_code.clone()),
        ("申请人".to_owned(), o.app.applicant_name.clone()),
    ];
    if o.app.acting_name != o.app.applicant_name {
        facts.push(("经办人".to_owned(), o.app.acting_name.clone()));
    }
    Some(Official {
        title: format!("{}申请表", g.name),
        number: o.app.case_number.as_ref().map_or_else(
            || "（提交后生成办件编号）".to_owned(),
            |n| format!("办件编号：{n}"),
        ),
        facts,
        list: Some(("申请内容：".into(), answers)),
        after: vec![
            o.app.declaration.as_ref().map_or_else(String::new, |d| {
                format!("申请人承诺（第{}版）：{}", d.version, d.text(Lang::ZhCn))
            }),
            "申请人（签字）：＿＿＿＿＿＿＿＿    日期：＿＿＿＿年＿＿月＿＿日".into(),
            "受理人员（签字）：＿＿＿＿＿＿＿＿".into(),
        ],
        issuer: p.org.name_zh.clone(),
        date: format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
        footnote: "本表由通办平台按申请人填写的内容生成。".into(),
        ..Official::default()
    })
}

/// The application form of one of the actor's applications, with division
/// names, ready to render.
pub async fn form_document(
    db: &crate::platform::db::Db,
    actor: &crate::identity::Principal,
    public_id: &str,
) -> Result<Option<Official>, super::ApplicationError> {
    let o = super::open(db, actor, public_id).await?;
    let all = crate::kernel::divisions::all(db).await?;
    let name = |code: &str| {
        all.iter()
            .find(|d| d.code == code)
            .map(|d| d.name_zh.clone())
    };
    Ok(application_form(&o, &name))
}

/// The application form as it is submitted, when the item takes it as one
/// of its materials (`Fetchable::FromForm`): rendered and received into
/// the file store, to be recorded with the submission (see
/// [`record_form_file`]); `None` when no material is made by the form.
/// `signed_on_paper`: taken in at a window, the applicant signed it there.
pub(super) async fn form_file(
    db: &crate::platform::db::Db,
    root: &std::path::Path,
    row_id: i64,
    a: &super::Application,
    signed_on_paper: bool,
) -> Result<Option<FormFile>, super::ApplicationError> {
    use crate::platform::db::DbError;
    let o = super::drafts::opened(db, row_id, a.clone()).await?;
    let Some(p) = &o.item else {
        return Ok(None);
    };
    let materials: Vec<(String, String)> = materials_of(&p.guide, &o.app.situation)
        .filter(|m| m.fetchable == Fetchable::FromForm)
        .map(|m| (m.code.clone(), m.name.clone()))
        .collect();
    if materials.is_empty() {
        return Ok(None);
    }
    let all = crate::kernel::divisions::all(db).await?;
    let name = |code: &str| {
        all.iter()
            .find(|d| d.code == code)
            .map(|d| d.name_zh.clone())
    };
    let Some(mut doc) = application_form(&o, &name) else {
        return Ok(None);
    };
    // Kept with the case, not printed for a pen: no number yet to promise
    // on a first submission, and the declaration accepted as it was.
    if o.app.case_number.is_none() {
        doc.number = String::new();
    }
    doc.after.truncate(1);
    doc.after.retain(|p| !p.is_empty());
    doc.after.push(if signed_on_paper {
        "申请人已在窗口核对打印的申请表并签字，签字件由受理窗口留存。".to_owned()
    } else {
        "申请人已在网上阅读并确认上述承诺。".to_owned()
    });
    let internal = |e: String| super::ApplicationError::Db(DbError::Internal(e));
    let pdf = crate::platform::lanes::compute()
        .run(move || crate::platform::pdf::official(&doc))
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(|e| internal(e.to_string()))?;
    let received = crate::platform::files::receive(
        root,
        "申请表.pdf",
        futures::stream::iter([Ok::<_, std::io::Error>(pdf)]),
        u64::MAX,
        &["pdf".to_owned()],
    )
    .await
    .map_err(|e| internal(e.to_string()))?;
    Ok(Some(FormFile {
        received,
        materials,
    }))
}

/// The submitted application form, received, and the materials it stands
/// for: (code, name).
pub(super) struct FormFile {
    /// The file, placed in the store once the submission commits.
    pub received: crate::platform::files::Received,
    /// The materials it is.
    pub materials: Vec<(String, String)>,
}

/// Records the submitted form as the file of each material it stands for,
/// in the submission's transaction: trust D (made by the applicant under
/// the declaration), origin `form`; the form of an earlier submission
/// gives way to it (its file stays in the store, the earlier round's
/// record names it).
pub(super) async fn record_form_file(
    c: &mut crate::platform::db::Conn,
    engine: crate::platform::db::Engine,
    row_id: i64,
    acting: i64,
    (row, materials): &(crate::platform::files::FileRow, Vec<(String, String)>),
    now: crate::platform::clock::Millis,
) -> Result<(), crate::platform::db::DbError> {
    use tongban_domain::applications::TrustGrade;
    crate::platform::db::query(
        "DELETE FROM application_files WHERE application_id = $1 AND origin = $2",
    )
    .bind(row_id)
    .bind(FORM_ORIGIN)
    .execute(&mut *c)
    .await?;
    let file_id = row.insert(&mut *c, engine, Some(acting)).await?.id;
    for (code, name) in materials {
        crate::platform::db::query(
            "INSERT INTO application_files (application_id, material_code, file_id, created_at, trust, origin, material_name) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(row_id)
        .bind(code)
        .bind(file_id)
        .bind(now)
        .bind(TrustGrade::D.code())
        .bind(FORM_ORIGIN)
        .bind(name)
        .execute(&mut *c)
        .await?;
    }
    crate::platform::db::query(
        "INSERT INTO file_refs (file_id, owner_kind, owner_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(file_id)
    .bind(super::materials::FILE_OWNER)
    .bind(row_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// `application_files.origin` of the submitted application form.
pub const FORM_ORIGIN: &str = "form";
