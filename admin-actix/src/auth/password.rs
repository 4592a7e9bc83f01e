//! Passwords: argon2 hashes, accounts, and checking a login.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use dynlog_core::store::{Account, AccountStore, Role};
use subtle::ConstantTimeEq;

use super::pool::{hashing, hashing_async};
use crate::error::Error;

/// Core's `Result`, for the crate's public functions.
type Result<T, E = dynlog_core::Error> = std::result::Result<T, E>;

/// The shortest password accepted for an account.
pub const MIN_PASSWORD: usize = 10;

/// The PHC string of `password` under argon2id with the crate's default parameters.
///
/// The work runs on the admin's password hashing threads, so it may wait for a free one.
pub fn hash_password(password: &str) -> Result<String> {
    hash(password).map_err(into_core)
}

/// [`hash_password`] with the admin's error.
fn hash(password: &str) -> Result<String, Error> {
    let password = password.to_string();
    hashing(move || hash_now(&password))?
}

fn hash_now(password: &str) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Hashing(e.to_string()))
}

/// The admin's error as the public functions answer it: core's, with a failed hash as core's
/// `Invalid` password (core has no word for it), never as a store error.
fn into_core(error: Error) -> dynlog_core::Error {
    match error {
        Error::Core(error) => error,
        other => dynlog_core::Error::Invalid {
            field: "password",
            value: String::new(),
            reason: other.to_string(),
        },
    }
}

/// The most argon2 memory a stored hash may ask of a verification (64 MiB), whatever its PHC
/// string says.
const MAX_VERIFY_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// Each hashing thread's argon2 memory, allocated once and reused: allocating and freeing
    /// 19 MiB per login fragments the allocator's heaps until each holds several times that.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` matches the PHC string `phc`, computed in this thread's reused memory.
fn verify(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        argon2::Params::try_from(&hash),
        argon2::Algorithm::try_from(hash.algorithm),
    ) else {
        return false;
    };
    let version = match hash.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let needed = params.block_count();
    if needed > MAX_VERIFY_BLOCKS {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    let computed = BLOCKS.with_borrow_mut(|blocks| {
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        argon2
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt,
                &mut out,
                &mut blocks[..needed],
            )
            .is_ok()
    });
    computed && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// Checks a new account's username and password: `username` of 1 to 64 letters, digits and
/// `._@-`, a password of at least [`MIN_PASSWORD`] characters.
pub fn check_account(username: &str, password: &str) -> Result<()> {
    use dynlog_core::Error;
    let valid = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if !valid {
        return Err(Error::Invalid {
            field: "username",
            value: username.to_string(),
            reason: "use 1 to 64 letters, digits, '.', '_', '@' or '-'".into(),
        });
    }
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(Error::Invalid {
            field: "password",
            value: format!("({length} characters)"),
            reason: format!("a password needs at least {MIN_PASSWORD} characters"),
        });
    }
    Ok(())
}

/// Creates or replaces the account `username` with `password` (only its argon2 hash is stored);
/// the change is audited under `actor`.
pub fn put_account(
    accounts: &dyn AccountStore,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<Account> {
    set_password(accounts, actor, username, password).map_err(into_core)
}

/// Creates the account `username` with `password` and `role` (only the argon2 hash is stored);
/// a taken username is [`dynlog_core::Error::AccountExists`]. Audited under `actor`.
pub fn create_account(
    accounts: &dyn AccountStore,
    actor: &str,
    username: &str,
    password: &str,
    role: Role,
) -> Result<Account> {
    new_account(accounts, actor, username, password, role).map_err(into_core)
}

/// [`create_account`] with the admin's error.
pub(crate) fn new_account(
    accounts: &dyn AccountStore,
    actor: &str,
    username: &str,
    password: &str,
    role: Role,
) -> Result<Account, Error> {
    check_account(username, password)?;
    Ok(accounts.create_account(actor, username, &hash(password)?, role)?)
}

/// [`put_account`] with the admin's error.
pub(crate) fn set_password(
    accounts: &dyn AccountStore,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<Account, Error> {
    check_account(username, password)?;
    Ok(accounts.put_account(actor, username, &hash(password)?)?)
}

/// Makes sure the account `username` exists with `password`: creates it, or sets the password
/// if it is another; changes (and audits) nothing when it already matches. Returns whether it
/// changed anything.
pub fn ensure_account(
    accounts: &dyn AccountStore,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<bool> {
    check_account(username, password)?;
    match accounts.account(username)? {
        Some(account)
            if verified(password, account.password_hash.clone()).map_err(into_core)? =>
        {
            Ok(false)
        }
        _ => put_account(accounts, actor, username, password).map(|_| true),
    }
}

/// `verify` on the hashing pool.
fn verified(password: &str, phc: String) -> Result<bool, Error> {
    let password = password.to_string();
    hashing(move || verify(&password, &phc))
}

/// A random password of 20 letters and digits (about 119 bits), for a first account.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Whether `password` is `username`'s, checked on the hashing pool (this waits for it: call it
/// off the async workers).
pub(crate) fn check_password(
    accounts: &dyn AccountStore,
    username: &str,
    password: &str,
) -> Result<bool, Error> {
    let account = accounts.account(username)?;
    let password = password.to_string();
    hashing(move || check_login(account, &password))
}

/// Checks a login. An unknown username costs the same argon2 work as a known one, so timing
/// does not tell which names exist.
pub(crate) async fn authenticate(
    account: Option<Account>,
    password: String,
) -> Result<bool, Error> {
    hashing_async(move || check_login(account, &password)).await
}

fn check_login(account: Option<Account>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match account {
        Some(account) => verify(password, &account.password_hash),
        None => {
            let dummy = DUMMY.get_or_init(|| hash_now("not a password").unwrap_or_default());
            verify(password, dummy);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify("correct horse battery", &hash));
        assert!(!verify("correct horse batterY", &hash));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn accounts_need_a_sane_name_and_a_long_password() {
        assert!(check_account("alice", "0123456789").is_ok());
        let short = check_account("alice", "short").unwrap_err().to_string();
        assert!(
            short.contains("password") && short.contains("10"),
            "{short}"
        );
        let name = check_account("<b>", "0123456789").unwrap_err().to_string();
        assert!(name.contains("username") && name.contains("<b>"), "{name}");
    }
}
