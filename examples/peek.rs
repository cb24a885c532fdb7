fn main() {
    let path = std::env::args().nth(1).unwrap();
    let json = std::fs::read_to_string(path).unwrap();
    let n = finstage::ingestion::normalize::normalize(&json).unwrap();
    println!("{:?}", n.info);
    for s in n.income.iter().filter(|s| s.period.fiscal_year >= 2022) {
        println!("IS {} {:?} {:?}..{} {} {} rev={:?} ni={:?} eps={:?} d={}", s.period.fiscal_year, s.period.fiscal_period, s.period.period_start, s.period.period_end, s.period.form, s.period.filed_at, s.items.revenue.map(|m| m.0), s.items.net_income.map(|m| m.0), s.items.eps_diluted.map(|m| m.0), s.period.derived);
    }
    for s in n.cash_flow.iter().filter(|s| s.period.fiscal_year >= 2023) {
        println!("CF {} {:?} {:?}..{} ocf={:?} fcf={:?} d={}", s.period.fiscal_year, s.period.fiscal_period, s.period.period_start, s.period.period_end, s.items.operating_cash_flow.map(|m| m.0), s.items.free_cash_flow.map(|m| m.0), s.period.derived);
    }
    for s in n.balance.iter().filter(|s| s.period.fiscal_year >= 2024) {
        println!("BS {} {:?} {} assets={:?} liab={:?} eq={:?}", s.period.fiscal_year, s.period.fiscal_period, s.period.period_end, s.items.total_assets.map(|m| m.0), s.items.total_liabilities.map(|m| m.0), s.items.total_equity.map(|m| m.0));
    }
    println!("counts {} {} {}", n.income.len(), n.balance.len(), n.cash_flow.len());
}
