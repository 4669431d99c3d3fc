//! The double-entry ledger. Every payment moves pence from one account to another, so
//! the sum of all balances is zero by construction; the model also reconciles each
//! account against the activity that caused its flows (see `sim`), which is the check
//! that can actually catch a mistake.

use super::money::Pence;

/// An account in the health economy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    /// Everything outside the PCT's economy: the Department of Health paying the
    /// allocation, staff and suppliers receiving providers' costs.
    External,
    /// A commissioner, by index into `Config::pcts`.
    Pct(usize),
    /// A provider, by index.
    Provider(usize),
    /// A practice, by index. Under PBC it receives freed-up resources.
    Practice(usize),
}

/// Why a posting failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("negative amount {amount} posted from {from:?} to {to:?}")]
    Negative { from: Account, to: Account, amount: Pence },
    #[error("balance of {account:?} overflowed posting {amount}")]
    Overflow { account: Account, amount: Pence },
    #[error("no such account {0:?}")]
    NoAccount(Account),
}

/// Balances of every account.
#[derive(Debug, Clone)]
pub struct Ledger {
    pcts: usize,
    providers: usize,
    balances: Vec<i64>,
    entries: u64,
}

impl Ledger {
    pub fn new(pcts: usize, providers: usize, practices: usize) -> Self {
        Self { pcts, providers, balances: vec![0; 1 + pcts + providers + practices], entries: 0 }
    }

    fn index(&self, a: Account) -> Result<usize, LedgerError> {
        let i = match a {
            Account::External => 0,
            Account::Pct(k) if k < self.pcts => 1 + k,
            Account::Provider(p) if p < self.providers => 1 + self.pcts + p,
            Account::Practice(p) => 1 + self.pcts + self.providers + p,
            Account::Pct(_) | Account::Provider(_) => usize::MAX,
        };
        if i < self.balances.len() { Ok(i) } else { Err(LedgerError::NoAccount(a)) }
    }

    /// Moves `amount` from `from` to `to`.
    #[inline]
    pub fn post(&mut self, from: Account, to: Account, amount: Pence) -> Result<(), LedgerError> {
        if amount.0 < 0 {
            return Err(LedgerError::Negative { from, to, amount });
        }
        let (f, t) = (self.index(from)?, self.index(to)?);
        let nf = self.balances[f].checked_sub(amount.0).ok_or(LedgerError::Overflow { account: from, amount })?;
        let nt = self.balances[t].checked_add(amount.0).ok_or(LedgerError::Overflow { account: to, amount })?;
        self.balances[f] = nf;
        self.balances[t] = nt;
        self.entries += 1;
        Ok(())
    }

    /// Balance of an account.
    pub fn balance(&self, a: Account) -> Pence {
        self.index(a).map(|i| Pence(self.balances[i])).unwrap_or_default()
    }

    /// Sum of all balances: zero when the books balance.
    pub fn imbalance(&self) -> i128 {
        self.balances.iter().map(|&b| b as i128).sum()
    }

    /// Number of postings made.
    pub fn entries(&self) -> u64 {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_move_money_and_balance() {
        let mut l = Ledger::new(1, 2, 3);
        l.post(Account::External, Account::Pct(0), Pence(1000)).unwrap();
        l.post(Account::Pct(0), Account::Provider(1), Pence(300)).unwrap();
        l.post(Account::Pct(0), Account::Practice(2), Pence(50)).unwrap();
        assert_eq!(l.balance(Account::Pct(0)), Pence(650));
        assert_eq!(l.balance(Account::Provider(1)), Pence(300));
        assert_eq!(l.balance(Account::Practice(2)), Pence(50));
        assert_eq!(l.imbalance(), 0);
        assert_eq!(l.entries(), 3);
    }

    #[test]
    fn bad_postings_are_errors_and_change_nothing() {
        let mut l = Ledger::new(2, 1, 1);
        assert!(l.post(Account::Pct(0), Account::Provider(5), Pence(1)).is_err());
        assert!(l.post(Account::Pct(2), Account::Provider(0), Pence(1)).is_err());
        l.post(Account::External, Account::Pct(1), Pence(7)).unwrap();
        assert_eq!(l.balance(Account::Pct(1)), Pence(7));
        assert_eq!(l.balance(Account::Pct(0)), Pence::ZERO);
        l.post(Account::Pct(1), Account::External, Pence(7)).unwrap();
        assert!(l.post(Account::Pct(0), Account::Practice(1), Pence(1)).is_err());
        assert!(l.post(Account::Pct(0), Account::External, Pence(-1)).is_err());
        l.post(Account::External, Account::Pct(0), Pence(i64::MAX)).unwrap();
        assert!(matches!(l.post(Account::External, Account::Pct(0), Pence(1)), Err(LedgerError::Overflow { .. })));
        assert_eq!(l.balance(Account::Pct(0)), Pence(i64::MAX));
        assert_eq!(l.imbalance(), 0);
    }
}
