//! The core store contract, on SQLite and on PostgreSQL.

mod common;

mod sqlite {
    use super::common;
    dynlog_core::store_contract_tests!(common::sqlite());
}

mod sqlite_memory {
    dynlog_core::store_contract_tests!(Some(Box::new(
        dynlog_diesel::DieselStore::open(":memory:").unwrap()
    )));
}

mod postgres {
    use super::common;
    dynlog_core::store_contract_tests!(common::postgres());
}
