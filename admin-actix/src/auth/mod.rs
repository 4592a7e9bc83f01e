//! People's authentication: argon2 password hashes (on threads of their own), signed session
//! cookies carrying a CSRF token, a throttle on failed logins, and the application's own
//! identity plugged in ([`Authenticator`]).

mod identity;
mod password;
mod pool;
mod session;
mod throttle;

pub(crate) use identity::Caller;
pub use identity::{Authenticator, Identity, JwtBearer, MAX_IDENTITY_NAME, Refused, TrustedProxy};
pub use password::{
    MIN_PASSWORD, check_account, create_account, ensure_account, generate_password, hash_password,
    put_account,
};
pub(crate) use password::{authenticate, check_password, new_account, set_password};
pub(crate) use session::{
    Cookies, LOGIN_COOKIE, SESSION_COOKIE, Session, app_csrf, app_csrf_accepts, hex, random_token,
    same,
};
pub(crate) use throttle::{MAX_USERNAME, Throttle, capped};
