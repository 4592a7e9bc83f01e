//! People's authentication: argon2 password hashes (on threads of their own), signed session
//! cookies carrying a CSRF token, and a throttle on failed logins.

mod password;
mod pool;
mod session;
mod throttle;

pub use password::{
    MIN_PASSWORD, check_account, ensure_account, generate_password, hash_password, put_account,
};
pub(crate) use password::{authenticate, check_password, set_password};
pub(crate) use session::{Cookies, LOGIN_COOKIE, SESSION_COOKIE, Session, hex, random_token, same};
pub(crate) use throttle::{MAX_USERNAME, Throttle, capped};
