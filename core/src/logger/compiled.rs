//! A config resolved for the hot path: every logger's effective level, filter chain and handler
//! chain, computed once per apply, in a few arenas.

use std::collections::BTreeMap;

use log::LevelFilter;
use rustc_hash::FxHashMap;

use super::cache::{SeenTargets, TargetCache, fx_hash};
use super::dynamic::DynamicLogger;
use super::scoped::{Layer, ScopeWord};
use super::view::{LevelOrigin, LevelSource};
use crate::level::{Level, LoggerLevel};
use crate::model::{LoggerSpec, LoggingConfig};

/// The level of the root logger when no config sets one, as in Python.
pub(super) const DEFAULT_ROOT_LEVEL: Level = Level::Warn;

/// Node indices are `u16` in the target cache; configs are far smaller than this.
pub(super) const MAX_NODES: usize = u16::MAX as usize;

/// A config resolved for the hot path: every logger's effective level and handler chain.
pub(super) struct Compiled {
    /// The root at 0, then the configured loggers.
    pub(super) nodes: Vec<Node>,
    /// Every node's name, one after the other.
    pub(super) names: String,
    /// Every node's handler chain, one after the other.
    pub(super) chains: Vec<u16>,
    /// Every node's filter chain, one after the other.
    pub(super) filters: Vec<u16>,
    /// The configured loggers by name.
    pub(super) index: NameIndex,
    pub(super) handlers: Vec<CompiledHandler>,
    pub(super) cache: TargetCache,
    pub(super) max_level: LevelFilter,
    /// Which apply made it; 0 before the first.
    pub(super) generation: u64,
    /// The active scoped configs, each compiled over this one, in precedence order.
    pub(super) layers: Vec<Layer>,
    /// What `Shared::scopes` holds while this config is in force.
    pub(super) scope_word: ScopeWord,
}

pub(super) struct Node {
    /// Its name in [`Compiled::names`].
    pub(super) name: Span,
    pub(super) level: Level,
    /// In [`Compiled::filters`]: the filters of this logger, then every configured ancestor's.
    pub(super) filters: Span,
    /// In [`Compiled::chains`]: the handlers of this logger, then its ancestors' up to the first
    /// that does not propagate.
    pub(super) chain: Span,
    /// What the config says of this logger, for rebuilding it; `None` for an unconfigured root.
    pub(super) spec: Option<NodeSpec>,
}

/// A logger's own settings as configured (the effective ones are on the [`Node`]).
pub(super) struct NodeSpec {
    pub(super) level: Option<LoggerLevel>,
    /// Who set `level`, when it is set.
    pub(super) set_by: LevelOrigin,
    /// How many of the chain's first handlers are the logger's own, if it lists handlers.
    pub(super) handlers: Option<u16>,
    /// How many of the filter chain's first filters are the logger's own, if it lists filters.
    pub(super) filters: Option<u16>,
    pub(super) propagate: Option<bool>,
}

impl Node {
    pub(super) fn root(
        level: Option<LoggerLevel>,
        filters: Span,
        chain: Span,
        spec: Option<NodeSpec>,
    ) -> Node {
        Node {
            name: Span::EMPTY,
            // The root at `notset` has nothing to inherit: everything passes, as in Python.
            level: level.map_or(DEFAULT_ROOT_LEVEL, LoggerLevel::or_trace),
            filters,
            chain,
            spec,
        }
    }
}

/// Sorted, deduplicated names from two sorted key sets.
pub(super) fn sorted_union<'a>(
    a: impl Iterator<Item = &'a String>,
    b: impl Iterator<Item = &'a String>,
) -> Vec<&'a str> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut out = Vec::with_capacity(a.size_hint().0 + b.size_hint().0);
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x < y => a.next(),
            (Some(x), Some(y)) if x > y => b.next(),
            (Some(_), Some(_)) => {
                b.next();
                a.next()
            }
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        out.extend(next.map(String::as_str));
    }
    out
}

pub(super) struct CompiledHandler {
    pub(super) level: Level,
    pub(super) filters: Box<[u16]>,
    /// The most records a second it writes, if the config sets a budget.
    pub(super) budget: Option<u32>,
    /// The configured level and whether filters were listed, for rebuilding the config.
    pub(super) spec: Option<(Option<Level>, bool)>,
}

/// The configured logger nearest above `name` (not `name` itself), as `get` finds them.
pub(super) fn nearest(get: impl Fn(&str) -> Option<usize>, name: &str) -> Option<usize> {
    let mut prefix = name;
    while let Some(cut) = last_separator(prefix) {
        prefix = &prefix[..cut];
        if let Some(i) = get(prefix) {
            return Some(i);
        }
    }
    None
}

/// A range of an arena of [`Compiled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

impl Span {
    pub(super) const EMPTY: Span = Span { start: 0, end: 0 };

    pub(super) fn new(start: usize, end: usize) -> Span {
        // Bodies are at most MAX_BODY bytes, so arenas stay far below u32::MAX.
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    #[inline]
    pub(super) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Configured loggers by the hash of their name, checked against the name itself; names whose
/// hash another name already has (never seen, but possible) are kept aside and scanned.
#[derive(Default)]
pub(super) struct NameIndex {
    pub(super) by_hash: FxHashMap<u64, u16>,
    pub(super) collided: Vec<u16>,
}

impl NameIndex {
    pub(super) fn with_capacity(n: usize) -> Self {
        NameIndex {
            by_hash: FxHashMap::with_capacity_and_hasher(n, Default::default()),
            collided: Vec::new(),
        }
    }

    #[inline]
    pub(super) fn get(&self, name: &str, arena: &str, nodes: &[Node]) -> Option<usize> {
        self.get_hashed(fx_hash(name.as_bytes()), name, arena, nodes)
    }

    #[inline]
    pub(super) fn get_hashed(
        &self,
        hash: u64,
        name: &str,
        arena: &str,
        nodes: &[Node],
    ) -> Option<usize> {
        let name_of = |i: usize| &arena[nodes[i].name.range()];
        if let Some(&i) = self.by_hash.get(&hash)
            && name_of(i as usize) == name
        {
            return Some(i as usize);
        }
        self.collided
            .iter()
            .map(|&i| i as usize)
            .find(|&i| name_of(i) == name)
    }

    pub(super) fn insert(&mut self, name: &str, at: usize, arena: &str, nodes: &[Node]) {
        self.insert_hashed(fx_hash(name.as_bytes()), name, at, arena, nodes);
    }

    pub(super) fn insert_hashed(
        &mut self,
        hash: u64,
        name: &str,
        at: usize,
        arena: &str,
        nodes: &[Node],
    ) {
        match self.by_hash.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(at as u16);
            }
            std::collections::hash_map::Entry::Occupied(taken) => {
                debug_assert_ne!(&arena[nodes[*taken.get() as usize].name.range()], name);
                self.collided.push(at as u16);
            }
        }
    }
}

/// Where the last `::` of `name` starts, by a byte scan (`rfind("::")` builds a substring
/// searcher on every call, which dominated compiling a config).
pub(super) fn last_separator(name: &str) -> Option<usize> {
    let bytes = name.as_bytes();
    (1..bytes.len())
        .rev()
        .find(|&i| bytes[i] == b':' && bytes[i - 1] == b':')
        .map(|i| i - 1)
}

impl Compiled {
    pub(super) fn empty() -> Self {
        Compiled {
            nodes: vec![Node::root(
                Some(LoggerLevel::Set(Level::Off)),
                Span::EMPTY,
                Span::EMPTY,
                None,
            )],
            names: String::new(),
            chains: Vec::new(),
            filters: Vec::new(),
            index: NameIndex::default(),
            handlers: Vec::new(),
            cache: TargetCache::new(),
            max_level: LevelFilter::Off,
            generation: 0,
            layers: Vec::new(),
            scope_word: 0,
        }
    }

    /// Node `i`'s name.
    #[inline]
    pub(super) fn name(&self, i: usize) -> &str {
        &self.names[self.nodes[i].name.range()]
    }

    /// The names of the loggers the config sets (an unconfigured root is not one).
    pub(super) fn configured(&self) -> impl Iterator<Item = &str> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].spec.is_some())
            .map(|i| self.name(i))
    }

    /// Node `i`'s handler chain.
    #[inline]
    pub(super) fn chain(&self, i: usize) -> &[u16] {
        &self.chains[self.nodes[i].chain.range()]
    }

    /// Node `i`'s filter chain: its own filters, then its configured ancestors'.
    #[inline]
    pub(super) fn filters(&self, i: usize) -> &[u16] {
        &self.filters[self.nodes[i].filters.range()]
    }

    /// What decides the level of `target`, for which node `index` decides: the node's own level
    /// if `target` is that node and sets one, else the nearest node at or above it that does.
    pub(super) fn level_source(&self, target: &str, index: usize) -> LevelSource {
        let mut i = index;
        let (holder, set_by) = loop {
            let own = self.nodes[i]
                .spec
                .as_ref()
                .and_then(|s| Some((s.level?, s.set_by)));
            match own {
                Some((LoggerLevel::Set(_), by)) => break (i, by),
                // The root at `notset` lets everything through, by its own setting.
                Some((LoggerLevel::Inherit, by)) if i == 0 => break (0, by),
                _ if i == 0 => break (0, LevelOrigin::Default),
                _ => i = nearest(|p| self.get(p), self.name(i)).unwrap_or(0),
            }
        };
        if holder == index && self.name(index) == target {
            return match set_by {
                LevelOrigin::Baseline => LevelSource::Baseline,
                LevelOrigin::Config => LevelSource::Config,
                LevelOrigin::Default => LevelSource::Default,
            };
        }
        LevelSource::Parent {
            ancestor: self.name(holder).to_string(),
            set_by,
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name, &self.names, &self.nodes)
    }

    /// The node deciding for `target`, walking `::` segments up to the root.
    pub(super) fn find(&self, target: &str) -> usize {
        self.get(target)
            .or_else(|| nearest(|p| self.get(p), target))
            .unwrap_or(0)
    }

    /// [`Compiled::find`] through the cache: the hot path's one lookup.
    #[inline]
    pub(super) fn resolve(&self, hash: u64, target: &str, seen: &SeenTargets) -> usize {
        if let Some(i) = self.cache.get(hash) {
            // A 48-bit tag collision is astronomically rare; the prefix check makes it harmless
            // for all but a nested configured logger, which it would still route sensibly.
            if is_segment_prefix(self.name(i), target) {
                return i;
            }
        }
        let i = self.find(target);
        // Only cache a target once it is remembered, so a target that could not be recorded
        // (the set was busy) comes back here and is recorded later.
        if seen.record(target) {
            self.cache.put(hash, i);
        }
        i
    }
}

pub(super) fn is_segment_prefix(prefix: &str, target: &str) -> bool {
    prefix.is_empty()
        || (target.starts_with(prefix)
            && (target.len() == prefix.len() || target[prefix.len()..].starts_with("::")))
}

impl DynamicLogger {
    /// Resolves the baseline with `overlay` laid over it, without building the merged config:
    /// every logger's effective level and handler chain, once, so the hot path is a lookup.
    pub(super) fn compile(&self, overlay: &LoggingConfig) -> Compiled {
        let shared = &self.shared;
        let base = &shared.baseline;
        let indices =
            |names: Option<&Vec<String>>, index: &BTreeMap<String, usize>| -> Box<[u16]> {
                names
                    .into_iter()
                    .flatten()
                    .filter_map(|n| index.get(n))
                    .map(|&i| i as u16)
                    .collect()
            };
        let handlers = shared
            .handlers
            .iter()
            .map(|slot| {
                let (b, o) = (
                    base.handlers.get(&slot.name),
                    overlay.handlers.get(&slot.name),
                );
                let level = o.and_then(|s| s.level).or(b.and_then(|s| s.level));
                let filters = o
                    .and_then(|s| s.filters.as_ref())
                    .or(b.and_then(|s| s.filters.as_ref()));
                let budget = o
                    .and_then(|s| s.max_per_second)
                    .or(b.and_then(|s| s.max_per_second));
                CompiledHandler {
                    level: level.unwrap_or(Level::Trace),
                    filters: indices(filters, &shared.filter_index),
                    budget,
                    spec: (b.is_some() || o.is_some()).then_some((level, filters.is_some())),
                }
            })
            .collect::<Vec<_>>();

        // Nodes: the root first, then every configured logger. Sorted names put every ancestor
        // (a prefix) before its descendants, so a node's parent is always built first.
        // Names and chains go into two arenas, so a config costs a few allocations rather than
        // two per logger, to build and to free.
        let names = sorted_union(base.loggers.keys(), overlay.loggers.keys());
        let mut nodes: Vec<Node> = Vec::with_capacity(names.len() + 1);
        let mut arena = String::with_capacity(names.iter().map(|n| n.len()).sum());
        let mut chains: Vec<u16> = Vec::with_capacity(2 * names.len() + 2);
        let mut filter_chains: Vec<u16> = Vec::new();
        let mut index = NameIndex::with_capacity(names.len());
        for name in names.into_iter().take(MAX_NODES - 1) {
            let (b, o) = (base.loggers.get(name), overlay.loggers.get(name));
            let set_by = match o.and_then(|s| s.level) {
                Some(_) => LevelOrigin::Config,
                None => LevelOrigin::Baseline,
            };
            let level = o.and_then(|s| s.level).or(b.and_then(|s| s.level));
            let own = o
                .and_then(|s| s.handlers.as_ref())
                .or(b.and_then(|s| s.handlers.as_ref()));
            let filters = o
                .and_then(|s| s.filters.as_ref())
                .or(b.and_then(|s| s.filters.as_ref()));
            let propagate = o.and_then(|s| s.propagate).or(b.and_then(|s| s.propagate));
            // The chain starts with the logger's own handlers; the parent's follow. The root is
            // first in sorted order, so an unconfigured root is added before the first logger.
            if nodes.is_empty() && !name.is_empty() {
                nodes.push(Node::root(None, Span::EMPTY, Span::EMPTY, None));
            }
            let parent = (!name.is_empty())
                .then(|| nearest(|p| index.get(p, &arena, &nodes), name).unwrap_or(0));
            let start = chains.len();
            chains.extend(
                own.into_iter()
                    .flatten()
                    .filter_map(|n| shared.handler_index.get(n))
                    .map(|&i| i as u16),
            );
            // Filters likewise: the logger's own, then every configured ancestor's, each once,
            // so a record passes its whole line's filters with one slice to walk.
            let filters_at = filter_chains.len();
            filter_chains.extend(
                filters
                    .into_iter()
                    .flatten()
                    .filter_map(|n| shared.filter_index.get(n))
                    .map(|&i| i as u16),
            );
            let spec = NodeSpec {
                level,
                set_by,
                handlers: own.map(|_| (chains.len() - start) as u16),
                filters: filters.map(|_| (filter_chains.len() - filters_at) as u16),
                propagate,
            };
            let Some(parent) = parent else {
                nodes.push(Node::root(
                    level,
                    Span::new(filters_at, filter_chains.len()),
                    Span::new(start, chains.len()),
                    Some(spec),
                ));
                continue;
            };
            for k in nodes[parent].filters.range() {
                let f = filter_chains[k];
                if !filter_chains[filters_at..].contains(&f) {
                    filter_chains.push(f);
                }
            }
            if propagate.unwrap_or(true) {
                for k in nodes[parent].chain.range() {
                    let h = chains[k];
                    if !chains[start..].contains(&h) {
                        chains.push(h);
                    }
                }
            }
            let name_at = arena.len();
            arena.push_str(name);
            index.insert(name, nodes.len(), &arena, &nodes);
            nodes.push(Node {
                name: Span::new(name_at, arena.len()),
                level: level
                    .and_then(LoggerLevel::level)
                    .unwrap_or(nodes[parent].level),
                filters: Span::new(filters_at, filter_chains.len()),
                chain: Span::new(start, chains.len()),
                spec: Some(spec),
            });
        }
        if nodes.is_empty() {
            nodes.push(Node::root(None, Span::EMPTY, Span::EMPTY, None));
        }
        let max_level = nodes
            .iter()
            .map(|node| {
                let loudest_handler = chains[node.chain.range()]
                    .iter()
                    .map(|&h| handlers[h as usize].level)
                    .max()
                    .unwrap_or(Level::Off);
                node.level.min(loudest_handler)
            })
            .max()
            .unwrap_or(Level::Off)
            .to_filter();
        Compiled {
            nodes,
            names: arena,
            chains,
            filters: filter_chains,
            index,
            handlers,
            cache: TargetCache::new(),
            max_level,
            generation: 0,
            layers: Vec::new(),
            scope_word: 0,
        }
    }

    /// The config a compiled one runs, rebuilt from its nodes: baseline and overlay merged.
    pub(super) fn config_of(&self, compiled: &Compiled) -> LoggingConfig {
        let shared = &self.shared;
        let handler_names = |ix: &[u16]| {
            ix.iter()
                .map(|&h| shared.handlers[h as usize].name.clone())
                .collect()
        };
        let filter_names = |ix: &[u16]| {
            ix.iter()
                .map(|&f| shared.filter_names[f as usize].clone())
                .collect()
        };
        let mut config = LoggingConfig::default();
        for (i, node) in compiled.nodes.iter().enumerate() {
            if let Some(spec) = &node.spec {
                config.loggers.insert(
                    compiled.name(i).to_string(),
                    LoggerSpec {
                        level: spec.level,
                        handlers: spec
                            .handlers
                            .map(|own| handler_names(&compiled.chain(i)[..own as usize])),
                        filters: spec
                            .filters
                            .map(|own| filter_names(&compiled.filters(i)[..own as usize])),
                        propagate: spec.propagate,
                    },
                );
            }
        }
        for (slot, handler) in shared.handlers.iter().zip(&compiled.handlers) {
            if let Some((level, filters)) = handler.spec {
                config.handlers.insert(
                    slot.name.clone(),
                    crate::model::HandlerOverride {
                        level,
                        filters: filters.then(|| filter_names(&handler.filters)),
                        max_per_second: handler.budget,
                    },
                );
            }
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_whose_hashes_collide_are_still_found() {
        let arena = "ab";
        let node = |start, end| Node {
            name: Span::new(start, end),
            ..Node::root(None, Span::EMPTY, Span::EMPTY, None)
        };
        let nodes = [node(0, 1), node(1, 2)];
        let mut index = NameIndex::default();
        index.insert_hashed(7, "a", 0, arena, &nodes);
        index.insert_hashed(7, "b", 1, arena, &nodes);
        assert_eq!(index.get_hashed(7, "a", arena, &nodes), Some(0));
        assert_eq!(index.get_hashed(7, "b", arena, &nodes), Some(1));
        assert_eq!(index.get_hashed(7, "c", arena, &nodes), None);
        assert_eq!(index.get_hashed(8, "a", arena, &nodes), None);
    }

    #[test]
    fn segment_prefixes() {
        assert!(is_segment_prefix("", "a"));
        assert!(is_segment_prefix("a::b", "a::b"));
        assert!(is_segment_prefix("a::b", "a::b::c"));
        assert!(!is_segment_prefix("a::b", "a::bc"));
        assert!(!is_segment_prefix("a::b", "a"));
    }

    #[test]
    fn last_separator_finds_the_parent() {
        assert_eq!(last_separator("a::b::c"), Some(4));
        assert_eq!(last_separator("a::b"), Some(1));
        assert_eq!(last_separator("a"), None);
        assert_eq!(last_separator(""), None);
        assert_eq!(last_separator("ab::"), Some(2));
    }
}
