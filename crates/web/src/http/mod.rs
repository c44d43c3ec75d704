//! The shared shell of the web layer, knowing no capability's pages: the
//! state, the request context and its middleware, the one error type and
//! its rendering, the API's JSON bodies, uploads let in, the words in both
//! languages, the layout, static assets, operations endpoints, the
//! console's front page and the OpenAPI document.

pub mod api;
pub mod assets;
pub mod console;
pub mod ctx;
pub mod docs;
pub mod error;
pub mod escape;
pub mod i18n;
pub mod json;
pub mod metrics;
pub mod ops;
pub mod page;
pub mod state;
pub mod uploads;
