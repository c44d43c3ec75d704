//! Chinese full-text search over the published catalog (tantivy + jieba).
//!
//! The index is derived data: it lives in memory, is built from
//! `published_items` at start, and is rebuilt when the catalog's event log
//! has moved on (checked at most once a second, so a publish on any node is
//! searchable within about a second everywhere). Colloquial words are
//! mapped to official terms through a synonym list; guides' own `aliases`
//! are indexed with a high boost.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::platform::db::{Db, DbError};

mod docs;
mod words;

use docs::{PublishedDoc, Select, latest_public_event, published_docs};
pub use words::Synonyms;
use words::analyzer;

/// How many ranked documents are read per result shown: implementations of
/// one item collapse into one result, so a page needs a few more documents
/// than it shows. Reading stored documents is the costly part of a search.
const OVERFETCH: usize = 4;

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Index failure (a bug or out of memory).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// Storage failure while rebuilding.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The configured synonyms file cannot be read.
    #[error("cannot read synonyms file {0}")]
    Synonyms(String),
    /// The index lock was poisoned by a panic elsewhere.
    #[error("search index lock poisoned")]
    Poisoned,
}

#[derive(Clone, Copy)]
struct Fields {
    task_code: Field,
    name: Field,
    name_en: Field,
    aliases: Field,
    body: Field,
    org: Field,
    themes: Field,
    objects: Field,
    /// The division code of the implementation.
    division: Field,
    /// Every ancestry prefix of the implementing organisation's path, so
    /// that a department filter finds the departments below it too.
    org_paths: Field,
    /// JSON of the list-row facts (org id, division, type, depth, limit).
    meta: Field,
}

/// A search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// 实施编码.
    pub task_code: String,
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Implementing body.
    pub org: String,
    /// The name with matches in `<b>` (HTML-escaped otherwise).
    pub name_html: String,
    /// A passage of conditions, materials or FAQ with matches in `<b>`.
    pub snippet_html: String,
    /// Relevance.
    pub score: f32,
    /// The list-row facts, as a summary.
    pub summary: crate::catalog::Summary,
}

/// The in-memory index of published items.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    synonyms: Synonyms,
    built_for: tokio::sync::Mutex<i64>,
    /// The latest public catalog event the index reflects.
    mark: std::sync::atomic::AtomicI64,
}

/// More changed items than this since the last update: rebuild instead.
const INCREMENTAL_MAX: usize = 2_000;
/// Published items read per statement while rebuilding.
const REBUILD_CHUNK: i64 = 2_000;

/// What a search is narrowed to; `None` is no narrowing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// Theme code.
    pub theme: Option<&'a str>,
    /// Service object code.
    pub object: Option<&'a str>,
    /// Division code (exact).
    pub division: Option<&'a str>,
    /// Ancestry path of an organisation: items it or any organisation
    /// below it implements.
    pub org_path: Option<&'a str>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SearchIndex")
    }
}

impl SearchIndex {
    /// An empty index with the given synonyms.
    pub fn new(synonyms: Synonyms) -> Result<Self, SearchError> {
        let mut b = Schema::builder();
        let cjk = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("zh")
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let task_code = b.add_text_field("task_code", STRING | STORED);
        let name = b.add_text_field("name", cjk.clone());
        let name_en = b.add_text_field("name_en", tantivy::schema::TEXT | STORED);
        let aliases = b.add_text_field("aliases", cjk.clone());
        let body = b.add_text_field("body", cjk.clone());
        let org = b.add_text_field("org", cjk);
        let themes = b.add_text_field("themes", STRING);
        let objects = b.add_text_field("objects", STRING);
        let division = b.add_text_field("division", STRING);
        let org_paths = b.add_text_field("org_paths", STRING);
        let meta = b.add_text_field("meta", STORED);
        let index = Index::create_in_ram(b.build());
        index.tokenizers().register("zh", analyzer());
        let writer = index.writer(15_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields: Fields {
                task_code,
                name,
                name_en,
                aliases,
                body,
                org,
                themes,
                objects,
                division,
                org_paths,
                meta,
            },
            synonyms,
            built_for: tokio::sync::Mutex::new(-1),
            mark: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// Rebuilds the whole index from the published catalog.
    pub async fn rebuild(&self, db: &Db) -> Result<usize, SearchError> {
        // The event mark is read first: whatever is published after it is
        // replayed by the next update, so nothing falls between the two.
        let mark = latest_public_event(db).await?;
        let filled = self.refill(db).await;
        if filled.is_err() {
            // Nothing half-done may reach the next commit.
            if let Ok(mut w) = self.writer.lock() {
                let _ = w.rollback();
            }
        }
        let n = filled?;
        self.apply(Vec::new(), Vec::new(), mark)?;
        Ok(n)
    }

    /// Queues the removal of every document and the adding of every
    /// published item, uncommitted. Items are read and added in chunks, so
    /// that a large catalog is never in memory twice (its guides and their
    /// documents) at once; searches see the previous index until the commit.
    async fn refill(&self, db: &Db) -> Result<usize, SearchError> {
        self.writer
            .lock()
            .map_err(|_| SearchError::Poisoned)?
            .delete_all_documents()?;
        let mut after = None;
        let mut n = 0;
        loop {
            let (docs, last) =
                published_docs(db, Select::After(after.as_ref(), REBUILD_CHUNK)).await?;
            if last.is_none() {
                break;
            }
            n += docs.len();
            let w = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
            for d in docs {
                w.add_document(self.document(d))?;
            }
            drop(w);
            after = last;
        }
        Ok(n)
    }

    /// Replaces the documents of `codes` with `docs`, commits everything
    /// pending, makes it searchable and records `mark`.
    fn apply(
        &self,
        codes: Vec<String>,
        docs: Vec<PublishedDoc>,
        mark: i64,
    ) -> Result<(), SearchError> {
        let f = self.fields;
        let mut w = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        for code in codes {
            w.delete_term(Term::from_field_text(f.task_code, &code));
        }
        let added = docs
            .into_iter()
            .try_for_each(|d| w.add_document(self.document(d)).map(drop));
        if let Err(e) = added.and_then(|()| w.commit().map(drop)) {
            // Nothing half-done may reach the next commit.
            let _ = w.rollback();
            return Err(e.into());
        }
        drop(w);
        self.reader.reload()?;
        self.mark.store(mark, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Brings the index up to date with the items published, rescheduled or
    /// withdrawn since it was last built: only those items' documents are
    /// replaced, so a publish costs one document rather than a rebuild of
    /// the whole catalog. Returns how many items were looked at.
    pub async fn update(&self, db: &Db) -> Result<usize, SearchError> {
        let since = self.mark.load(std::sync::atomic::Ordering::Relaxed);
        let mark = latest_public_event(db).await?;
        let changed: Vec<i64> = crate::platform::db::query(
            "SELECT DISTINCT item_id FROM item_events WHERE id > $1 AND id <= $2 \
             AND action IN ('published', 'scheduled', 'withdrawn')",
        )
        .bind(since)
        .bind(mark)
        .fetch_all(&db)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        if changed.len() > INCREMENTAL_MAX {
            return self.rebuild(db).await;
        }
        let mut codes = Vec::with_capacity(changed.len());
        let mut docs = Vec::new();
        for id in &changed {
            let code: Option<String> =
                crate::platform::db::query("SELECT task_code FROM service_items WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&db)
                    .await?
                    .map(|r| r.try_get(0))
                    .transpose()?;
            codes.extend(code);
            docs.extend(published_docs(db, Select::Item(*id)).await?.0);
        }
        self.apply(codes, docs, mark)?;
        Ok(changed.len())
    }

    /// The index document of a published item.
    fn document(&self, d: PublishedDoc) -> TantivyDocument {
        let f = self.fields;
        let g = &d.guide;
        let mut body: Vec<&str> = g.conditions.iter().map(String::as_str).collect();
        body.extend(g.materials.iter().map(|m| m.name.as_str()));
        for q in &g.faq {
            body.push(&q.question);
            body.push(&q.answer);
        }
        body.push(&g.legal_basis);
        let mut doc = doc!(
            f.task_code => d.task_code.clone(),
            f.name => g.name.clone(),
            f.name_en => g.name_en.clone(),
            f.aliases => g.aliases.join("；"),
            f.body => body.join("；"),
            f.org => d.org.clone(),
            f.meta => d.meta.to_string(),
        );
        for t in d.themes.split('|').filter(|t| !t.is_empty()) {
            doc.add_text(f.themes, t);
        }
        for o in d.objects.split('|').filter(|o| !o.is_empty()) {
            doc.add_text(f.objects, o);
        }
        doc.add_text(f.division, &d.division);
        // "/A/B/C/" is under "/A/", "/A/B/" and itself.
        for (i, _) in d.org_path.match_indices('/').skip(1) {
            doc.add_text(f.org_paths, &d.org_path[..=i]);
        }
        doc
    }

    /// Makes the index match `generation` of the catalog: built in full the
    /// first time, updated item by item after that.
    pub async fn ensure_generation(&self, db: &Db, generation: i64) -> Result<(), SearchError> {
        let mut built = self.built_for.lock().await;
        if *built != generation {
            if *built < 0 {
                self.rebuild(db).await?;
            } else {
                self.update(db).await?;
            }
            *built = generation;
        }
        Ok(())
    }

    /// Searches within `filter`. Returns the hits of one page and the total
    /// number of matches.
    pub fn search(
        &self,
        query: &str,
        filter: Filter<'_>,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Hit>, usize), SearchError> {
        let f = self.fields;
        let expanded = self.synonyms.expand(query.trim());
        // Chinese has no spaces: handed whole to the query parser, a query
        // would become one phrase. Tokenise it here and search the words.
        let mut words: Vec<String> = Vec::new();
        let mut a = analyzer();
        let mut stream = a.token_stream(&expanded);
        while let Some(tok) = stream.next() {
            let w: String = tok.text.chars().filter(|c| c.is_alphanumeric()).collect();
            if !w.is_empty() && !words.contains(&w) {
                words.push(w);
            }
        }
        if words.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let mut parser = QueryParser::for_index(
            &self.index,
            vec![f.name, f.aliases, f.body, f.org, f.name_en],
        );
        parser.set_field_boost(f.name, 4.0);
        parser.set_field_boost(f.aliases, 3.0);
        parser.set_field_boost(f.org, 0.5);
        let (main, _) = parser.parse_query_lenient(&words.join(" "));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main)];
        for (field, value) in [
            (f.themes, filter.theme),
            (f.objects, filter.object),
            (f.division, filter.division),
            (f.org_paths, filter.org_path),
        ] {
            if let Some(v) = value {
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        let q = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        // The same item implemented by several bodies is listed once, at
        // its best match; the guide page links the other places.
        let wanted = (offset + limit).max(1);
        let (top, matched) = searcher.search(
            &q,
            &(
                TopDocs::with_limit(wanted * OVERFETCH).order_by_score(),
                Count,
            ),
        )?;
        let mut names = SnippetGenerator::create(&searcher, &q, f.name)?;
        names.set_max_num_chars(200);
        let mut bodies = SnippetGenerator::create(&searcher, &q, f.body)?;
        bodies.set_max_num_chars(90);
        let mut distinct = Vec::new();
        let mut seen = BTreeSet::new();
        for (score, addr) in top {
            if distinct.len() >= wanted {
                break;
            }
            let d: TantivyDocument = searcher.doc(addr)?;
            let meta: serde_json::Value =
                serde_json::from_str(d.get_first(f.meta).and_then(|v| v.as_str()).unwrap_or("{}"))
                    .unwrap_or_default();
            if seen.insert(meta["catalog_code"].as_str().unwrap_or("").to_owned()) {
                distinct.push((score, d, meta));
            }
        }
        // Matching documents, one per implementation: an upper bound on the
        // distinct items (exact when each item has one implementation).
        let total = matched.max(distinct.len());
        let mut hits = Vec::new();
        for (score, d, meta) in distinct.into_iter().skip(offset).take(limit) {
            let text = |field: Field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            let task_code = text(f.task_code);
            let name = text(f.name);
            let name_snip = names.snippet_from_doc(&d);
            let summary = crate::catalog::Summary {
                task_code: task_code.clone(),
                name: name.clone(),
                name_en: text(f.name_en),
                item_type: meta["item_type"].as_str().unwrap_or("").to_owned(),
                org_id: meta["org_id"].as_i64().unwrap_or(0),
                org_name_zh: text(f.org),
                org_name_en: meta["org_name_en"].as_str().unwrap_or("").to_owned(),
                division_code: meta["division_code"].as_str().unwrap_or("").to_owned(),
                online_depth: meta["online_depth"].as_i64().unwrap_or(0),
                promised_value: meta["promised_value"].as_i64().unwrap_or(0),
            };
            hits.push(Hit {
                summary,
                name_html: if name_snip.is_empty() {
                    html_escape(&name)
                } else {
                    name_snip.to_html()
                },
                snippet_html: bodies.snippet_from_doc(&d).to_html(),
                task_code,
                name,
                name_en: text(f.name_en),
                org: text(f.org),
                score,
            });
        }
        Ok((hits, total))
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests;
