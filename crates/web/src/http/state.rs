//! The state every handler shares: the database, configuration, caches of
//! the published catalog, signing keys, relying parties, the search index.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tongban_core::Db;
use tongban_core::identity::sessions::Lifetimes;
use tongban_core::platform::config::Config;

use crate::AppError;
use crate::http::metrics;

/// Most guide articles kept rendered (10–20 KB each with the page's lists,
/// so about 200 MB at most). Views follow popularity, so the popular guides
/// are back in the cache soon after it is emptied.
const GUIDE_CACHE_MAX: usize = 10_000;
/// Most item lists kept (theme pages, departments, related items).
const BROWSE_CACHE_MAX: usize = 4_096;

/// Values derived from the published catalog, valid for one generation
/// (see [`tongban_core::catalog::generation`]): a new generation empties
/// it; past `max` entries the least recently used goes.
struct GenCache<K: std::hash::Hash + Eq, V> {
    generation: i64,
    map: lru::LruCache<K, V>,
}

impl<K: std::hash::Hash + Eq, V: Clone> GenCache<K, V> {
    fn new(max: usize) -> std::sync::Mutex<Self> {
        std::sync::Mutex::new(Self {
            generation: -1,
            map: lru::LruCache::new(
                std::num::NonZeroUsize::new(max).unwrap_or(std::num::NonZeroUsize::MIN),
            ),
        })
    }

    fn get(&mut self, generation: i64, key: &K) -> Option<V> {
        if self.generation == generation {
            self.map.get(key).cloned()
        } else {
            None
        }
    }

    fn put(&mut self, generation: i64, key: K, value: V) {
        if self.generation != generation {
            self.map.clear();
            self.generation = generation;
        }
        self.map.put(key, value);
    }
}

/// The catalog's generation as this node last read it.
struct Generation {
    /// The value and when it was read; no time means it must be read
    /// before it is used (never read, or this node just changed the catalog).
    seen: std::sync::Mutex<(i64, Option<Instant>)>,
    /// Held by the one request reading it again.
    reading: tokio::sync::Mutex<()>,
}

/// Locks over filling the derived caches, by key: a burst of requests for
/// one missing value reads it once, while different values fill at once.
const FILL_STRIPES: usize = 16;

/// How many most used items the home page names.
const MOST_USED: i64 = 6;

/// A rendered guide article: (title, html).
type Article = (String, Arc<String>);

/// One page of published items and the total that match.
type ItemList = (Vec<tongban_core::catalog::Summary>, i64);

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    db: Db,
    generation: Generation,
    guide_cache: std::sync::Mutex<GenCache<(String, String), Article>>,
    browse_cache: std::sync::Mutex<GenCache<tongban_core::catalog::Browse, Arc<ItemList>>>,
    themes_cache: std::sync::Mutex<GenCache<(), Arc<Vec<tongban_core::catalog::Theme>>>>,
    /// The most used items, by the hour they were counted in.
    most_used_cache:
        std::sync::Mutex<GenCache<i64, Arc<Vec<tongban_core::applications::usage::MostUsed>>>>,
    /// Held while a missing list is read, so that a burst of requests
    /// after a publish reads each list once instead of once per request
    /// (one lock per stripe of keys, see [`FILL_STRIPES`]).
    fill: [tokio::sync::Mutex<()>; FILL_STRIPES],
    code_lists: std::sync::Mutex<(i64, Arc<tongban_domain::catalog::CodeLists>)>,
    calendars: tongban_core::kernel::calendar::Calendars,
    keys: tokio::sync::Mutex<Option<(tongban_core::identity::oidc::KeyRing, Instant)>>,
    notifier: tongban_core::platform::notify::Notifier,
    clients: std::sync::Mutex<
        std::collections::HashMap<String, (Option<tongban_core::identity::oidc::Client>, Instant)>,
    >,
    data_key: tongban_core::platform::crypto::DataKey,
    search: tongban_core::catalog::search::SearchIndex,
    config: Config,
    metrics: metrics::Metrics,
    uploads: tongban_core::platform::uploads::Gate,
    started: Instant,
    demo: bool,
}

impl AppState {
    /// State over a connected, migrated database.
    pub fn new(db: Db, config: Config, demo: bool) -> anyhow::Result<Self> {
        let synonyms = tongban_core::catalog::search::Synonyms::load(&config.search.synonyms_file)?;
        let search = tongban_core::catalog::search::SearchIndex::new(synonyms)?;
        let notifier = tongban_core::platform::notify::Notifier::from_config(&config.mail, &db)?;
        let data_key = tongban_core::platform::crypto::DataKey::load(
            &config.identity.data_key,
            &config.data_dir,
        )?;
        // An outage is known within half a second, and every request then
        // answers 503 at once instead of waiting for a connection.
        db.watch(Duration::from_millis(500));
        let uploads =
            tongban_core::platform::uploads::Gate::new(tongban_core::platform::uploads::Limits {
                per_key: config.uploads.per_account,
                in_flight: config.uploads.in_flight,
                idle: Duration::from_secs(config.uploads.idle_seconds),
            });
        Ok(Self {
            inner: Arc::new(StateInner {
                db,
                generation: Generation {
                    seen: std::sync::Mutex::new((-1, None)),
                    reading: tokio::sync::Mutex::new(()),
                },
                guide_cache: GenCache::new(GUIDE_CACHE_MAX),
                browse_cache: GenCache::new(BROWSE_CACHE_MAX),
                themes_cache: GenCache::new(1),
                most_used_cache: GenCache::new(1),
                fill: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
                code_lists: std::sync::Mutex::new((-1, Arc::default())),
                calendars: Default::default(),
                keys: tokio::sync::Mutex::new(None),
                notifier,
                clients: std::sync::Mutex::new(std::collections::HashMap::new()),
                data_key,
                search,
                config,
                metrics: metrics::Metrics::default(),
                uploads,
                started: Instant::now(),
                demo,
            }),
        })
    }

    /// The catalog search index, brought up to date with the catalog first
    /// (the database is asked at most once a second whether it changed).
    pub async fn search(&self) -> Result<&tongban_core::catalog::search::SearchIndex, AppError> {
        let generation = self.catalog_generation().await?;
        let s = &self.inner.search;
        s.ensure_generation(&self.inner.db, generation)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok(s)
    }

    /// The catalog's generation: the id of its latest event. Asked of the
    /// database at most once a second, so every node sees a publish within
    /// about a second without a query per request. While one request asks,
    /// the others go on with the value last seen instead of queueing behind
    /// it (unless there is none yet, or this node has just changed the
    /// catalog and must see its change).
    pub async fn catalog_generation(&self) -> Result<i64, AppError> {
        let g = &self.inner.generation;
        let seen = || g.seen.lock().map(|s| *s).unwrap_or((-1, None));
        let fresh = |at: Option<Instant>| at.is_some_and(|t| t.elapsed() < Duration::from_secs(1));
        let (value, at) = seen();
        if fresh(at) {
            return Ok(value);
        }
        let _reading = match g.reading.try_lock() {
            Ok(guard) => guard,
            Err(_) if at.is_some() => return Ok(value),
            Err(_) => g.reading.lock().await,
        };
        let (value, at) = seen();
        if fresh(at) {
            return Ok(value);
        }
        let latest = tongban_core::catalog::generation(&self.inner.db).await?;
        if let Ok(mut s) = g.seen.lock() {
            *s = (latest, Some(Instant::now()));
        }
        Ok(latest)
    }

    /// The catalog's configured code lists, read again when the catalog's
    /// generation moves (an edit of a list moves it).
    pub async fn code_lists(&self) -> Result<Arc<tongban_domain::catalog::CodeLists>, AppError> {
        let generation = self.catalog_generation().await?;
        if let Ok(c) = self.inner.code_lists.lock()
            && c.0 == generation
        {
            return Ok(c.1.clone());
        }
        let lists = Arc::new(tongban_core::catalog::code_lists(&self.inner.db).await?);
        if let Ok(mut c) = self.inner.code_lists.lock() {
            *c = (generation, lists.clone());
        }
        Ok(lists)
    }

    /// The OpenID Connect signing keys, read again every minute so that a
    /// rotation on one node reaches the others (the old key stays published
    /// meanwhile, so nothing signed with it fails).
    pub async fn keys(&self) -> Result<tongban_core::identity::oidc::KeyRing, AppError> {
        let mut k = self.inner.keys.lock().await;
        if let Some((ring, at)) = k.as_ref()
            && at.elapsed() < Duration::from_secs(60)
        {
            return Ok(ring.clone());
        }
        let ring = tongban_core::identity::oidc::KeyRing::load(&self.inner.db)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        *k = Some((ring.clone(), Instant::now()));
        Ok(ring)
    }

    /// An active relying party, from a per-node cache kept for at most two
    /// seconds (the token endpoint asks on every request); a change made on
    /// this node is seen at once, on another node within two seconds.
    pub async fn client(
        &self,
        client_id: &str,
    ) -> Result<Option<tongban_core::identity::oidc::Client>, AppError> {
        if let Ok(cache) = self.inner.clients.lock()
            && let Some((c, at)) = cache.get(client_id)
            && at.elapsed() < Duration::from_secs(2)
        {
            return Ok(c.clone());
        }
        let c = tongban_core::identity::oidc::client(&self.inner.db, client_id).await?;
        if let Ok(mut cache) = self.inner.clients.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(client_id.to_owned(), (c.clone(), Instant::now()));
        }
        Ok(c)
    }

    /// Forgets cached relying parties (after an administrator changed one).
    pub fn clients_changed(&self) {
        if let Ok(mut cache) = self.inner.clients.lock() {
            cache.clear();
        }
    }

    /// Replaces the cached key ring (after a rotation on this node).
    pub async fn set_keys(&self, ring: tongban_core::identity::oidc::KeyRing) {
        *self.inner.keys.lock().await = Some((ring, Instant::now()));
    }

    /// The issuer identifier: the configured public URL (`serve` fills it
    /// from the address it listens on when it is empty). Never taken from a
    /// request header: a forged `Host` must not name the issuer that
    /// discovery, tokens and their checks carry.
    pub fn issuer(&self) -> String {
        let c = &self.inner.config;
        let configured = c.public_url.trim_end_matches('/');
        if configured.is_empty() {
            tongban_core::platform::config::Config::url_of(c.listen)
        } else {
            configured.to_owned()
        }
    }

    /// The legal calendar (rebuilt when a year's arrangement changes).
    pub async fn calendar(
        &self,
    ) -> Result<Arc<tongban_domain::kernel::calendar::Calendar>, AppError> {
        Ok(self.inner.calendars.get(&self.inner.db).await?)
    }

    /// Forgets the built calendar after this node changed an arrangement.
    pub async fn calendar_touched(&self) {
        self.inner.calendars.touched().await;
    }

    /// Forgets the last generation check, so this node's next request sees
    /// a change it has just made (other nodes see it within a second).
    pub async fn catalog_touched(&self) {
        // After any read under way, so that it cannot put back what it read.
        let _reading = self.inner.generation.reading.lock().await;
        if let Ok(mut s) = self.inner.generation.seen.lock() {
            s.1 = None;
        }
    }

    /// A cached guide article (title, html) for this generation and language.
    pub fn guide_cache_get(&self, generation: i64, code: &str, lang: &str) -> Option<Article> {
        let mut c = self.inner.guide_cache.lock().ok()?;
        c.get(generation, &(code.to_owned(), lang.to_owned()))
    }

    /// Stores a rendered guide article.
    pub fn guide_cache_put(
        &self,
        generation: i64,
        code: &str,
        lang: &str,
        title: String,
        html: String,
    ) -> Article {
        let entry = (title, Arc::new(html));
        if let Ok(mut c) = self.inner.guide_cache.lock() {
            c.put(
                generation,
                (code.to_owned(), lang.to_owned()),
                entry.clone(),
            );
        }
        entry
    }

    /// Published items matching `f` and their total, from the cache of the
    /// current generation (a theme page costs no query until the next
    /// publish).
    pub async fn browse(
        &self,
        f: &tongban_core::catalog::Browse,
    ) -> Result<Arc<ItemList>, AppError> {
        self.derived(&self.inner.browse_cache, f.clone(), || async {
            Ok(tongban_core::catalog::browse(&self.inner.db, f).await?)
        })
        .await
    }

    /// The life-event themes with their published item counts, from the
    /// cache of the current generation.
    pub async fn themes(&self) -> Result<Arc<Vec<tongban_core::catalog::Theme>>, AppError> {
        self.derived(&self.inner.themes_cache, (), || async {
            Ok(tongban_core::catalog::themes(&self.inner.db).await?)
        })
        .await
    }

    /// The items most applied for lately (see
    /// [`tongban_core::applications::usage`]), counted at most once an hour
    /// and again when the catalog changes.
    pub async fn most_used(
        &self,
    ) -> Result<Arc<Vec<tongban_core::applications::usage::MostUsed>>, AppError> {
        let now = tongban_core::platform::clock::now_ms();
        self.derived(
            &self.inner.most_used_cache,
            now / 3_600_000,
            || async move {
                Ok(
                    tongban_core::applications::usage::most_used(&self.inner.db, now, MOST_USED)
                        .await?,
                )
            },
        )
        .await
    }

    /// A value derived from the published catalog: from `cache` when it
    /// holds one for the current generation, else made by `load`, once for
    /// a burst of requests (the others wait for the first and reuse it).
    async fn derived<K, V, F, Fut>(
        &self,
        cache: &std::sync::Mutex<GenCache<K, Arc<V>>>,
        key: K,
        load: F,
    ) -> Result<Arc<V>, AppError>
    where
        K: std::hash::Hash + Eq,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, AppError>>,
    {
        let generation = self.catalog_generation().await?;
        let cached = || cache.lock().ok().and_then(|mut c| c.get(generation, &key));
        if let Some(hit) = cached() {
            return Ok(hit);
        }
        let stripe = {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            std::ptr::from_ref(cache).addr().hash(&mut h);
            key.hash(&mut h);
            (h.finish() % FILL_STRIPES as u64) as usize
        };
        let _filling = self.inner.fill[stripe].lock().await;
        if let Some(hit) = cached() {
            return Ok(hit);
        }
        let found = Arc::new(load().await?);
        if let Ok(mut c) = cache.lock() {
            c.put(generation, key, found.clone());
        }
        Ok(found)
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Request metrics.
    pub fn metrics(&self) -> &metrics::Metrics {
        &self.inner.metrics
    }

    /// The uploads in flight on this node.
    pub fn uploads(&self) -> &tongban_core::platform::uploads::Gate {
        &self.inner.uploads
    }

    /// Seconds since start.
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Whether the demo data was requested (shows the demo banner).
    pub fn demo(&self) -> bool {
        self.inner.demo
    }

    /// The key sealing personal data.
    pub fn data_key(&self) -> &tongban_core::platform::crypto::DataKey {
        &self.inner.data_key
    }

    /// Sends messages to people.
    pub fn notifier(&self) -> &tongban_core::platform::notify::Notifier {
        &self.inner.notifier
    }

    /// The per-address limit on failed sign-in steps.
    pub fn address_limit(&self) -> tongban_core::platform::throttle::Limit {
        let c = &self.inner.config.identity;
        tongban_core::platform::throttle::Limit {
            max: c.address_failures,
            window_ms: c.address_window_minutes * 60_000,
        }
    }

    /// Session lifetimes from configuration.
    pub fn lifetimes(&self) -> Lifetimes {
        let s = &self.inner.config.session;
        Lifetimes {
            idle_ms: s.idle_minutes * 60_000,
            absolute_ms: s.absolute_hours * 3_600_000,
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.inner.db)
            .finish()
    }
}
