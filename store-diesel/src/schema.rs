//! The tables, as Diesel sees them. Times are [`UtcTime`](crate::types::UtcTime).

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::UtcTime;

    dynlog_configs (id) {
        id -> BigInt,
        name -> Text,
        body -> Text,
        version -> BigInt,
        created_at -> UtcTime,
        updated_at -> UtcTime,
        kind -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::UtcTime;

    dynlog_triggers (id) {
        id -> BigInt,
        name -> Text,
        is_active -> Bool,
        start_at -> Nullable<UtcTime>,
        end_at -> Nullable<UtcTime>,
        config_id -> BigInt,
        version -> BigInt,
        created_at -> UtcTime,
        updated_at -> UtcTime,
    }
}

diesel::table! {
    dynlog_revision (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::UtcTime;

    dynlog_audit (id) {
        id -> BigInt,
        at -> UtcTime,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> BigInt,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        revision -> Nullable<BigInt>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::UtcTime;

    dynlog_accounts (username) {
        username -> Text,
        password_hash -> Text,
        created_at -> UtcTime,
        session_epoch -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::UtcTime;

    dynlog_api_tokens (id) {
        id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> UtcTime,
        last_used_at -> Nullable<UtcTime>,
        role -> Text,
    }
}

diesel::joinable!(dynlog_triggers -> dynlog_configs (config_id));
diesel::allow_tables_to_appear_in_same_query!(dynlog_configs, dynlog_triggers);

diesel::table! {
    use diesel::sql_types::*;
    use crate::types::UtcTime;

    dynlog_instances (instance_id) {
        instance_id -> Text,
        reported_at -> UtcTime,
        status -> Text,
    }
}
