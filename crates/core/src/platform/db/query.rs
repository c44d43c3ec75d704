//! The query layer every use case writes its SQL through, one body for both
//! engines.
//!
//! Its shape follows sqlx's (`query(sql).bind(v).fetch_one(c)`), with `$1,
//! $2` placeholders both engines understand. A statement runs on a
//! transaction's [`Conn`] (inside [`Db::write`] or [`Db::read`]) or, alone,
//! on the [`Db`]'s read side. On SQLite it runs on the calling thread
//! (the writer's or a reader's) through rusqlite, with its prepared form
//! cached per connection; on PostgreSQL through sqlx.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use rusqlite::types::{ToSqlOutput, ValueRef as LiteRef};
use sqlx::postgres::{PgRow, PgValueRef, Postgres};
use sqlx::{Row as _, TypeInfo, ValueRef as _};

use super::{Conn, Db, DbError};

/// What a bound value is, so that a null still carries its type (PostgreSQL
/// needs one for every parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer.
    Int,
    /// A double.
    Real,
    /// Text.
    Text,
    /// Bytes.
    Blob,
    /// A boolean (an integer 0/1 on SQLite).
    Bool,
}

/// A bound parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL of a kind.
    Null(Kind),
    /// An integer.
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
    /// A boolean.
    Bool(bool),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Null(_) => LiteRef::Null,
            Self::Int(i) => LiteRef::Integer(*i),
            Self::Real(f) => LiteRef::Real(*f),
            Self::Text(s) => LiteRef::Text(s.as_bytes()),
            Self::Blob(b) => LiteRef::Blob(b),
            Self::Bool(b) => LiteRef::Integer(i64::from(*b)),
        }))
    }
}

/// A Rust value that can be bound to a statement.
pub trait Encode {
    /// The kind of value (for a typed null).
    const KIND: Kind;
    /// The value to bind.
    fn encode(self) -> Value;
}

macro_rules! encode_as {
    ($($t:ty => $kind:ident, $v:ident => $e:expr;)*) => {$(
        impl Encode for $t {
            const KIND: Kind = Kind::$kind;
            fn encode(self) -> Value {
                let $v = self;
                $e
            }
        }
    )*};
}

encode_as! {
    i64 => Int, v => Value::Int(v);
    i32 => Int, v => Value::Int(i64::from(v));
    u32 => Int, v => Value::Int(i64::from(v));
    f64 => Real, v => Value::Real(v);
    bool => Bool, v => Value::Bool(v);
    String => Text, v => Value::Text(v);
    &str => Text, v => Value::Text(v.to_owned());
    Cow<'_, str> => Text, v => Value::Text(v.into_owned());
    Vec<u8> => Blob, v => Value::Blob(v);
    &[u8] => Blob, v => Value::Blob(v.to_vec());
}

impl<T: Encode> Encode for Option<T> {
    const KIND: Kind = T::KIND;
    fn encode(self) -> Value {
        match self {
            Some(v) => v.encode(),
            None => Value::Null(T::KIND),
        }
    }
}

impl<T: Encode + Clone> Encode for &T {
    const KIND: Kind = T::KIND;
    fn encode(self) -> Value {
        self.clone().encode()
    }
}

/// A Rust value a column can be read as.
pub trait Decode: Sized {
    /// From a SQLite value.
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String>;
    /// From a PostgreSQL value (which may be null).
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String>;
}

fn pg<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    v: PgValueRef<'r>,
) -> Result<T, String> {
    if v.is_null() {
        return Err("unexpected null".into());
    }
    // A column of another type is refused, never reinterpreted.
    if !T::compatible(&v.type_info()) {
        return Err(format!(
            "a {} column read as {}",
            pg_type(&v),
            std::any::type_name::<T>()
        ));
    }
    T::decode(v).map_err(|e| e.to_string())
}

fn pg_type(v: &PgValueRef<'_>) -> String {
    v.type_info().name().to_owned()
}

fn mismatch(want: &str, got: LiteRef<'_>) -> String {
    format!("expected {want}, found {:?}", got.data_type())
}

impl Decode for i64 {
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String> {
        match v {
            LiteRef::Integer(i) => Ok(i),
            other => Err(mismatch("integer", other)),
        }
    }
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String> {
        match pg_type(&v).as_str() {
            "INT2" => pg::<i16>(v).map(i64::from),
            "INT4" => pg::<i32>(v).map(i64::from),
            _ => pg::<i64>(v),
        }
    }
}

impl Decode for i32 {
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String> {
        i64::from_sqlite(v).and_then(|i| i32::try_from(i).map_err(|e| e.to_string()))
    }
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String> {
        i64::from_pg(v).and_then(|i| i32::try_from(i).map_err(|e| e.to_string()))
    }
}

impl Decode for bool {
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String> {
        i64::from_sqlite(v).map(|i| i != 0)
    }
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String> {
        match pg_type(&v).as_str() {
            "BOOL" => pg::<bool>(v),
            _ => i64::from_pg(v).map(|i| i != 0),
        }
    }
}

impl Decode for f64 {
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String> {
        match v {
            LiteRef::Real(f) => Ok(f),
            #[expect(
                clippy::cast_precision_loss,
                reason = "an integer stored where a real was"
            )]
            LiteRef::Integer(i) => Ok(i as f64),
            other => Err(mismatch("real", other)),
        }
    }
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String> {
        match pg_type(&v).as_str() {
            "FLOAT4" => pg::<f32>(v).map(f64::from),
            _ => pg::<f64>(v),
        }
    }
}

impl Decode for String {
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String> {
        match v {
            LiteRef::Text(t) => String::from_utf8(t.to_vec()).map_err(|e| e.to_string()),
            other => Err(mismatch("text", other)),
        }
    }
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String> {
        pg::<String>(v)
    }
}

impl Decode for Vec<u8> {
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String> {
        match v {
            LiteRef::Blob(b) | LiteRef::Text(b) => Ok(b.to_vec()),
            other => Err(mismatch("blob", other)),
        }
    }
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String> {
        pg::<Vec<u8>>(v)
    }
}

impl<T: Decode> Decode for Option<T> {
    fn from_sqlite(v: LiteRef<'_>) -> Result<Self, String> {
        match v {
            LiteRef::Null => Ok(None),
            v => T::from_sqlite(v).map(Some),
        }
    }
    fn from_pg(v: PgValueRef<'_>) -> Result<Self, String> {
        if v.is_null() {
            Ok(None)
        } else {
            T::from_pg(v).map(Some)
        }
    }
}

/// One row a statement returned.
pub struct Row(pub(super) RowKind);

pub(super) enum RowKind {
    /// SQLite rows are copied out of the statement (so the statement can be
    /// reused at once); the column names are shared by the result's rows.
    Sqlite {
        columns: Arc<[String]>,
        values: Vec<rusqlite::types::Value>,
    },
    Pg(PgRow),
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Row")
    }
}

/// A column, by name or position.
pub trait ColumnIndex: sqlx::ColumnIndex<PgRow> + fmt::Display + Copy {
    /// Its position among SQLite's columns.
    fn position(self, columns: &[String]) -> Option<usize>;
}

impl ColumnIndex for &str {
    fn position(self, columns: &[String]) -> Option<usize> {
        columns.iter().position(|c| c == self)
    }
}

impl ColumnIndex for usize {
    fn position(self, columns: &[String]) -> Option<usize> {
        (self < columns.len()).then_some(self)
    }
}

impl Row {
    /// The value of a column, as `T`. A missing column or a value of the
    /// wrong type is a corrupt row (or a bug in the statement).
    pub fn try_get<T: Decode, I: ColumnIndex>(&self, col: I) -> Result<T, DbError> {
        let decoded = match &self.0 {
            RowKind::Sqlite { columns, values } => {
                let Some(at) = col.position(columns) else {
                    return Err(DbError::Corrupt(format!("no column {col}")));
                };
                T::from_sqlite(LiteRef::from(&values[at]))
            }
            RowKind::Pg(row) => {
                let raw = row
                    .try_get_raw(col)
                    .map_err(|e| DbError::Corrupt(format!("column {col}: {e}")))?;
                T::from_pg(raw)
            }
        };
        decoded.map_err(|e| DbError::Corrupt(format!("column {col}: {e}")))
    }
}

/// A type a whole row can be read as (tuples, by position).
pub trait FromRow: Sized {
    /// Reads the row.
    fn from_row(row: &Row) -> Result<Self, DbError>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Decode),+> FromRow for ($($t,)+) {
            fn from_row(row: &Row) -> Result<Self, DbError> {
                Ok(($(row.try_get::<$t, usize>($i)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows: u64,
}

impl Done {
    pub(super) fn new(rows: u64) -> Self {
        Self { rows }
    }

    /// How many rows it inserted, changed or deleted.
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}

/// How much of a statement's result the caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    /// Only the count of changed rows.
    Done,
    /// The first row, if any.
    First,
    /// Every row.
    All,
}

/// A statement's result.
pub(super) enum Out {
    Done(Done),
    Rows(Vec<Row>),
}

/// Where a statement runs: a transaction's connection, or the database's
/// read side (one statement on its own).
pub enum Target<'a> {
    /// Inside [`Db::write`] or [`Db::read`].
    Conn(&'a mut Conn),
    /// Alone, on a read connection.
    Db(&'a Db),
}

impl<'a> From<&'a mut Conn> for Target<'a> {
    fn from(c: &'a mut Conn) -> Self {
        Self::Conn(c)
    }
}

impl<'a> From<&'a Db> for Target<'a> {
    fn from(db: &'a Db) -> Self {
        Self::Db(db)
    }
}

impl<'a, 'b> From<&'a &'b Db> for Target<'a> {
    fn from(db: &'a &'b Db) -> Self {
        Self::Db(db)
    }
}

/// A statement with its parameters.
#[derive(Debug, Clone)]
pub struct Query {
    pub(super) sql: Cow<'static, str>,
    pub(super) args: Vec<Value>,
}

/// A statement (`$1, $2` placeholders, in any order, each bound once).
pub fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    Query {
        sql: sql.into(),
        args: Vec::new(),
    }
}

/// A statement whose rows are read as `T`.
pub fn query_as<T: FromRow>(sql: impl Into<Cow<'static, str>>) -> QueryAs<T> {
    QueryAs {
        q: query(sql),
        _t: PhantomData,
    }
}

/// A statement whose first column is read as `T`.
pub fn query_scalar<T: Decode>(sql: impl Into<Cow<'static, str>>) -> QueryScalar<T> {
    QueryScalar {
        q: query(sql),
        _t: PhantomData,
    }
}

impl Query {
    /// Binds the next parameter (`$1`, then `$2`, …).
    #[must_use]
    pub fn bind(mut self, v: impl Encode) -> Self {
        self.args.push(v.encode());
        self
    }

    async fn run<'a>(self, t: impl Into<Target<'a>>, want: Want) -> Result<Out, DbError> {
        match t.into() {
            Target::Conn(c) => c.run(self, want).await,
            Target::Db(db) => db.run_alone(self, want).await,
        }
    }

    async fn rows<'a>(self, t: impl Into<Target<'a>>, want: Want) -> Result<Vec<Row>, DbError> {
        match self.run(t, want).await? {
            Out::Rows(r) => Ok(r),
            Out::Done(_) => Ok(Vec::new()),
        }
    }

    /// Runs it; the count of changed rows.
    pub async fn execute<'a>(self, t: impl Into<Target<'a>>) -> Result<Done, DbError> {
        match self.run(t, Want::Done).await? {
            Out::Done(d) => Ok(d),
            Out::Rows(r) => Ok(Done::new(r.len() as u64)),
        }
    }

    /// Its rows.
    pub async fn fetch_all<'a>(self, t: impl Into<Target<'a>>) -> Result<Vec<Row>, DbError> {
        self.rows(t, Want::All).await
    }

    /// Its first row, if any.
    pub async fn fetch_optional<'a>(
        self,
        t: impl Into<Target<'a>>,
    ) -> Result<Option<Row>, DbError> {
        Ok(self.rows(t, Want::First).await?.into_iter().next())
    }

    /// Its first row; none is [`DbError::RowNotFound`].
    pub async fn fetch_one<'a>(self, t: impl Into<Target<'a>>) -> Result<Row, DbError> {
        self.fetch_optional(t).await?.ok_or(DbError::RowNotFound)
    }
}

/// A statement read as `T` per row.
#[derive(Debug, Clone)]
pub struct QueryAs<T> {
    q: Query,
    _t: PhantomData<fn() -> T>,
}

impl<T: FromRow> QueryAs<T> {
    /// Binds the next parameter.
    #[must_use]
    pub fn bind(mut self, v: impl Encode) -> Self {
        self.q = self.q.bind(v);
        self
    }

    /// Every row.
    pub async fn fetch_all<'a>(self, t: impl Into<Target<'a>>) -> Result<Vec<T>, DbError> {
        self.q.fetch_all(t).await?.iter().map(T::from_row).collect()
    }

    /// The first row, if any.
    pub async fn fetch_optional<'a>(self, t: impl Into<Target<'a>>) -> Result<Option<T>, DbError> {
        self.q
            .fetch_optional(t)
            .await?
            .as_ref()
            .map(T::from_row)
            .transpose()
    }

    /// The first row.
    pub async fn fetch_one<'a>(self, t: impl Into<Target<'a>>) -> Result<T, DbError> {
        T::from_row(&self.q.fetch_one(t).await?)
    }
}

/// A statement read as its first column.
#[derive(Debug, Clone)]
pub struct QueryScalar<T> {
    q: Query,
    _t: PhantomData<fn() -> T>,
}

impl<T: Decode> QueryScalar<T> {
    /// Binds the next parameter.
    #[must_use]
    pub fn bind(mut self, v: impl Encode) -> Self {
        self.q = self.q.bind(v);
        self
    }

    /// The first column of every row.
    pub async fn fetch_all<'a>(self, t: impl Into<Target<'a>>) -> Result<Vec<T>, DbError> {
        self.q
            .fetch_all(t)
            .await?
            .iter()
            .map(|r| r.try_get(0usize))
            .collect()
    }

    /// The first column of the first row, if any.
    pub async fn fetch_optional<'a>(self, t: impl Into<Target<'a>>) -> Result<Option<T>, DbError> {
        self.q
            .fetch_optional(t)
            .await?
            .map(|r| r.try_get(0usize))
            .transpose()
    }

    /// The first column of the first row.
    pub async fn fetch_one<'a>(self, t: impl Into<Target<'a>>) -> Result<T, DbError> {
        self.q.fetch_one(t).await?.try_get(0usize)
    }
}

/// Reads a struct from a row, each field from the column of its name:
/// `from_row!(Theme { code, audience, items })`.
#[macro_export]
macro_rules! from_row {
    ($t:ident { $($f:ident),+ $(,)? }) => {
        impl $crate::platform::db::FromRow for $t {
            fn from_row(
                row: &$crate::platform::db::Row,
            ) -> Result<Self, $crate::platform::db::DbError> {
                Ok(Self { $($f: row.try_get(stringify!($f))?),+ })
            }
        }
    };
}
