//! The discrete-event engine: simulated time, the future-event list, random streams,
//! multi-server queues and the few statistics the model accumulates while it runs.
//!
//! Nothing in here knows about the NHS. The engine is generic over the event type so
//! the model's events are a plain `enum` matched in one loop: no `dyn` dispatch and no
//! allocation per event on the hot path.

mod dist;
mod histogram;
mod prefetch;
mod queue;
mod rng;
mod station;

pub use dist::{DistError, Sampler, short};
pub use histogram::Histogram;
pub use prefetch::{prefetch, prefetch_range};
pub use queue::{EventQueue, ScheduleError};
pub use rng::{Stream, stream};
pub use station::Station;
