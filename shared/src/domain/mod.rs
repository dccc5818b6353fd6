//! Plain async Rust over small traits (`ports`): no AWS, HTTP or Lambda types in here.

pub mod cas_mail;
pub mod code_flow;
#[cfg(test)]
pub mod fakes;
pub mod inbox;
pub mod inbox_token;
pub mod keyring;
pub mod links;
pub mod listing;
pub mod model;
pub mod parsing;
pub mod pkce;
pub mod ports;
pub mod rate_limit;
pub mod redirect_uri;
pub mod secrets;
pub mod sender_auth;
pub mod tenants;
