//! Every movement of money in the model, and Payment by Results in particular.
//!
//! **PbR.** Each completed first attendance, follow-up or elective spell is paid by the
//! PCT to the provider at the national tariff × the provider's Market Forces Factor.
//! The unit price is computed once per provider, service line and item as
//! `round_half_up(tariff_pence × mff_e5 × price_factor_e5 / 10^10)` (the price factor is
//! 1 except for a community service paid a local price), so every case of the same kind at
//! the same provider is paid the same whole number of pence (domain brief, Money).
//!
//! **Block contracts.** A provider on a block contract is paid a fixed annual sum,
//! accruing by day and paid monthly, and nothing per case: the counterfactual to PbR.
//! **Emergencies.** An emergency spell is paid the non-elective tariff × MFF; under the
//! marginal rate rule, spells above the provider's baseline volume (its first reported
//! year's outturn) are paid at a share of that.
//!
//! **Costs.** A provider pays its marginal cost per case and its fixed annual cost to
//! the external
//! account; the fixed cost accrues by day and is paid at the start of each month for
//! that month's days. **Allocation.** The PCT receives its capitation allocation from
//! the external account at the start of each financial year, pro rata by day for a part
//! year. Day-based shares use cumulative rounding ([`Pence::pro_rata`]), so the parts
//! of a whole year sum exactly to the annual figure.

use super::choice::ServiceRef;
use super::config::{Config, Item};
use super::ledger::{Account, Ledger, LedgerError};
use super::money::Pence;

/// Unit prices and marginal costs per flattened service and item.
#[derive(Debug, Clone)]
pub struct PriceTable {
    price: Vec<[Pence; Item::COUNT]>,
    marginal: Vec<[Pence; Item::COUNT]>,
    /// Non-elective tariff × MFF per provider (zero without emergency demand).
    emergency: Vec<Pence>,
}

/// A price could not be represented in pence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tariff × MFF overflows for provider {provider}, line {line}")]
pub struct PriceOverflow {
    pub provider: usize,
    pub line: usize,
}

impl PriceTable {
    pub fn new(config: &Config, services: &[ServiceRef]) -> Result<Self, PriceOverflow> {
        let mut price = Vec::with_capacity(services.len());
        let mut marginal = Vec::with_capacity(services.len());
        for s in services {
            let provider = &config.providers[s.provider];
            let tariff = &config.lines[s.line].tariff;
            let mut row = [Pence::ZERO; Item::COUNT];
            for item in Item::ALL {
                row[item as usize] = tariff[item as usize]
                    .mul_ratio(provider.mff_e5 * provider.price_factor_e5, 10_000_000_000)
                    .ok_or(PriceOverflow { provider: s.provider, line: s.line })?;
            }
            price.push(row);
            marginal.push(provider.services[s.within].marginal_cost);
        }
        let tariff = config.emergency.as_ref().map_or(Pence::ZERO, |e| e.tariff);
        let emergency = (0..config.providers.len())
            .map(|p| {
                tariff
                    .mul_ratio(config.providers[p].mff_e5, 100_000)
                    .ok_or(PriceOverflow { provider: p, line: usize::MAX })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { price, marginal, emergency })
    }

    /// What the PCT pays for one emergency spell at `provider` at full tariff.
    #[inline]
    pub fn emergency(&self, provider: usize) -> Pence {
        self.emergency[provider]
    }

    /// What the PCT pays for one `item` at `service`.
    #[inline]
    pub fn price(&self, service: usize, item: Item) -> Pence {
        self.price[service][item as usize]
    }

    /// What one `item` costs the provider at `service`.
    #[inline]
    pub fn marginal_cost(&self, service: usize, item: Item) -> Pence {
        self.marginal[service][item as usize]
    }
}

/// The money that one unit of activity moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    pub tariff: Pence,
    pub marginal_cost: Pence,
}

/// Pays for one completed unit of activity (under PbR, `pbr`; a block contract pays
/// nothing per case) and charges the provider its marginal cost.
#[inline]
pub fn settle_activity(
    ledger: &mut Ledger,
    prices: &PriceTable,
    pct: usize,
    service: usize,
    provider: usize,
    item: Item,
    pbr: bool,
) -> Result<Settlement, LedgerError> {
    let tariff = if pbr { prices.price(service, item) } else { Pence::ZERO };
    let marginal_cost = prices.marginal_cost(service, item);
    ledger.post(Account::Pct(pct), Account::Provider(provider), tariff)?;
    ledger.post(Account::Provider(provider), Account::External, marginal_cost)?;
    Ok(Settlement { tariff, marginal_cost })
}

/// Pays a block-contract instalment: the provider's lead commissioner `pct` →
/// provider, whatever the volume.
pub fn pay_block(ledger: &mut Ledger, pct: usize, provider: usize, amount: Pence) -> Result<(), LedgerError> {
    ledger.post(Account::Pct(pct), Account::Provider(provider), amount)
}

/// Pays a provider's fixed-cost instalment.
pub fn pay_fixed_cost(ledger: &mut Ledger, provider: usize, amount: Pence) -> Result<(), LedgerError> {
    ledger.post(Account::Provider(provider), Account::External, amount)
}

/// PCT `pct`'s allocation for financial year `year` (per head × its practices' registered
/// population), pro rata by day for the part of the year inside the horizon (the same
/// rule as fixed costs). `None` on overflow.
pub fn allocation_for_year(config: &Config, pct: usize, year: usize) -> Option<Pence> {
    per_head_for_year(config, pct, config.pcts[pct].allocation_per_head, year)
}

/// What PCT `pct` pays in financial year `year` for PbR activity the model does not
/// simulate: the same per-head, growth and pro-rata rules as the allocation, so its
/// share of the allocation is the same every year. `None` on overflow.
pub fn unmodelled_pbr_for_year(config: &Config, pct: usize, year: usize) -> Option<Pence> {
    per_head_for_year(config, pct, config.pcts[pct].unmodelled_pbr_per_head, year)
}

fn per_head_for_year(config: &Config, pct: usize, base: Pence, year: usize) -> Option<Pence> {
    // Growth compounds from the first reported year, rounded to the penny per head.
    let per_head = base.0 as f64 * (1.0 + config.pcts[pct].allocation_growth).powi(year as i32);
    let per_head = Pence(per_head.round() as i64);
    let full = per_head.checked_mul(config.pct_population(pct))?;
    let fy = &config.calendar.years[year];
    Some(full.pro_rata(fy.first_day as u64, fy.end_day as u64, fy.days as u64))
}

/// Pays providers outside the model for the PbR activity it does not simulate.
pub fn pay_unmodelled_pbr(ledger: &mut Ledger, pct: usize, amount: Pence) -> Result<(), LedgerError> {
    ledger.post(Account::Pct(pct), Account::External, amount)
}

/// Pays PCT `pct` its allocation.
pub fn pay_allocation(ledger: &mut Ledger, pct: usize, amount: Pence) -> Result<(), LedgerError> {
    ledger.post(Account::External, Account::Pct(pct), amount)
}
