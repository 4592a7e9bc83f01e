//! `UtcTime`: one SQL type for a UTC instant on both backends, since the multi-connection only
//! knows the types every backend shares and none of Diesel's zone-aware types is shared.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::query_builder::QueryId;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, SqlType};

use crate::connection::MultiBackend;

/// A UTC instant: `TIMESTAMPTZ` on PostgreSQL; on SQLite microseconds since the Unix epoch in
/// a `BIGINT`, which keeps every microsecond and sorts as time does (SQLite has no time type).
#[derive(Clone, Copy, Debug, Default, SqlType, QueryId)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 1184, array_oid = 1185))
)]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Long")))]
#[allow(unreachable_pub)] // as visible as the `pub` columns that `diesel::table!` declares
pub struct UtcTime;

/// A `DateTime<Utc>` as [`UtcTime`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = UtcTime)]
pub(crate) struct At(pub(crate) DateTime<Utc>);

impl At {
    /// Now, to the microsecond: what both backends keep, so a value written reads back equal.
    pub(crate) fn now() -> At {
        At(Utc::now().trunc_subsecs(6))
    }
}

impl HasSqlType<UtcTime> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<UtcTime>(lookup)
    }
}

impl ToSql<UtcTime, MultiBackend> for At {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((UtcTime, self));
        Ok(IsNull::No)
    }
}

impl FromSql<UtcTime, MultiBackend> for At {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<At, UtcTime>()
    }
}

#[cfg(feature = "postgres")]
mod pg {
    use diesel::pg::Pg;
    use diesel::sql_types::Timestamptz;

    use super::*;

    impl ToSql<UtcTime, Pg> for At {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            ToSql::<Timestamptz, Pg>::to_sql(&self.0, out)
        }
    }

    impl FromSql<UtcTime, Pg> for At {
        fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
            FromSql::<Timestamptz, Pg>::from_sql(bytes).map(At)
        }
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use diesel::sql_types::BigInt;
    use diesel::sqlite::Sqlite;

    use super::*;

    impl ToSql<UtcTime, Sqlite> for At {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
            out.set_value(self.0.timestamp_micros());
            Ok(IsNull::No)
        }
    }

    impl FromSql<UtcTime, Sqlite> for At {
        fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
            let micros = <i64 as FromSql<BigInt, Sqlite>>::from_sql(bytes)?;
            DateTime::from_timestamp_micros(micros)
                .map(At)
                .ok_or_else(|| format!("{micros} microseconds since 1970 is out of range").into())
        }
    }
}
