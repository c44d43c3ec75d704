//! Kernel: the things every capability stands on — administrative divisions
//! (行政区划, GB/T 2260), organisations, staff roles and the national identifiers
//! (公民身份号码 GB 11643, 统一社会信用代码 GB 32100), and the legal calendar
//! (工作日) every deadline is counted on.

pub mod calendar;
pub mod division;
pub mod ids;
pub mod org;
pub mod role;

pub use division::{DivisionCode, DivisionCodeError, DivisionKind};
pub use ids::{CreditCode, CreditCodeError, IdCardNo, IdCardNoError, OrgCode, OrgCodeError};
pub use org::{AdminLevel, OrgKind};
pub use role::Role;
