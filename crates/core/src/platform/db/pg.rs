//! PostgreSQL through sqlx: the same [`Query`] bound to sqlx's arguments,
//! its prepared form cached by sqlx per connection.

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Executor};

use super::DbError;
use super::query::{Done, Kind, Out, Query, Row, RowKind, Value, Want};

fn bind<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    v: Value,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    match v {
        Value::Null(Kind::Int) => q.bind(None::<i64>),
        Value::Null(Kind::Real) => q.bind(None::<f64>),
        Value::Null(Kind::Text) => q.bind(None::<String>),
        Value::Null(Kind::Blob) => q.bind(None::<Vec<u8>>),
        Value::Null(Kind::Bool) => q.bind(None::<bool>),
        Value::Int(i) => q.bind(i),
        Value::Real(f) => q.bind(f),
        Value::Text(s) => q.bind(s),
        Value::Blob(b) => q.bind(b),
        Value::Bool(b) => q.bind(b),
    }
}

/// Runs one statement on a PostgreSQL connection.
pub(super) async fn run(c: &mut PgConnection, q: Query, want: Want) -> Result<Out, DbError> {
    let mut sq = sqlx::query(AssertSqlSafe(q.sql));
    for v in q.args {
        sq = bind(sq, v);
    }
    Ok(match want {
        Want::Done => Out::Done(Done::new(c.execute(sq).await?.rows_affected())),
        Want::First => Out::Rows(
            c.fetch_optional(sq)
                .await?
                .map(|r| Row(RowKind::Pg(r)))
                .into_iter()
                .collect(),
        ),
        Want::All => Out::Rows(
            c.fetch_all(sq)
                .await?
                .into_iter()
                .map(|r| Row(RowKind::Pg(r)))
                .collect(),
        ),
    })
}
