//! Running store work off the async workers, and locks that outlive a panic: what the pages and
//! the API share.

use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_web::web;
use std::sync::Arc;

use dynlog_core::Controller;
use dynlog_core::store::AccountStore;

use crate::error::Error;

/// Runs `f` with the controller on actix's blocking threads, so that a slow store never holds
/// an async worker; its error, and a thread that panicked, come back as the admin's [`Error`].
pub(crate) async fn run<T, E>(
    controller: &Controller,
    f: impl FnOnce(&Controller) -> Result<T, E> + Send + 'static,
) -> Result<T, Error>
where
    T: Send + 'static,
    E: Into<Error> + Send + 'static,
{
    blocking(controller.clone(), move |c| f(c)).await
}

/// Runs `f` with the account store on actix's blocking threads, as [`run`] does.
pub(crate) async fn accounts<T, E>(
    accounts: &Arc<dyn AccountStore>,
    f: impl FnOnce(&dyn AccountStore) -> Result<T, E> + Send + 'static,
) -> Result<T, Error>
where
    T: Send + 'static,
    E: Into<Error> + Send + 'static,
{
    blocking(Arc::clone(accounts), move |a| f(&**a)).await
}

/// Runs `f` with `with` on actix's blocking threads; a thread that panicked is an [`Error`].
async fn blocking<S, T, E>(
    with: S,
    f: impl FnOnce(&S) -> Result<T, E> + Send + 'static,
) -> Result<T, Error>
where
    S: Send + 'static,
    T: Send + 'static,
    E: Into<Error> + Send + 'static,
{
    web::block(move || f(&with)).await?.map_err(Into::into)
}

/// The guarded value even if a panic poisoned the mutex: counters and queues stay usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
