//! Infrastructure every capability stands on, knowing none of them:
//! storage (`db`), the job queue (`jobs`), the transactional outbox
//! (`outbox`), the file store (`files`), how messages reach people
//! (`notify`: the transport; what a message says belongs to the capability
//! that sends it), keys and sealing (`crypto`), configuration (`config`),
//! time (`clock`), per-key attempt limits (`throttle`), backup, the
//! node's background `worker`, where blocking work runs (`lanes`) and how
//! many uploads are in flight (`uploads`).

pub mod backup;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod files;
pub mod jobs;
pub mod lanes;
pub mod notify;
pub mod outbox;
pub mod pdf;
pub mod throttle;
pub mod uploads;
pub mod worker;
