//! Identity (统一身份认证): sign-in and its second factor, registration,
//! password reset, the person's account page, contacts and inbox, window registration
//! (`counter`), staff administration, relying parties (`clients`), the
//! sign-in API and the OpenID Connect provider (`oidc`).

pub mod account;
pub mod api;
pub mod auth;
pub mod clients;
pub mod contacts;
pub mod counter;
pub mod inbox;
pub mod oidc;
pub mod register;
pub mod reset;
pub mod staff;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// Identity's routes a person's browser uses (behind the CSRF check); the
/// provider's machine routes are `oidc::machine_routes`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(auth::login_get).post(auth::login_post))
        .route("/login/totp", get(auth::totp_get).post(auth::totp_post))
        .route("/logout", post(auth::logout_post))
        .route(
            "/password/reset",
            get(reset::reset_get).post(reset::reset_post),
        )
        .route("/password/reset/verify", post(reset::reset_verify_post))
        .route("/dev/messages", get(reset::dev_messages_get))
        .route(
            "/register",
            get(register::register_get).post(register::register_post),
        )
        .route("/register/confirm", post(register::confirm_post))
        .route("/account", get(account::account_get))
        .route("/account/password", post(account::password_post))
        .route("/account/sessions", post(account::sessions_post))
        .route("/account/consents", post(account::consents_post))
        .route("/account/agents", post(account::agents_post))
        .route("/account/acting", post(account::acting_post))
        .route(
            "/account/contacts",
            get(contacts::contacts_get).post(contacts::preferences_post),
        )
        .route("/account/contacts/change", post(contacts::change_post))
        .route("/account/contacts/confirm", post(contacts::confirm_post))
        .route("/account/contacts/test", post(contacts::test_post))
        .route("/inbox", get(inbox::inbox_get))
        .route("/inbox/read", post(inbox::read_post))
        .route(
            "/counter",
            get(counter::counter_get).post(counter::counter_post),
        )
        .route(
            "/admin/staff",
            get(staff::staff_get).post(staff::staff_post),
        )
        .route(
            "/admin/clients",
            get(clients::clients_get).post(clients::clients_post),
        )
        .route(
            "/admin/clients/{client_id}",
            get(clients::client_get).post(clients::client_post),
        )
        .route("/api/v1/me", get(api::get_me))
        .route(
            "/api/v1/session",
            post(api::create_session).delete(api::delete_session),
        )
        .merge(oidc::browser_routes())
}
