//! Byte positions of the 種別91 records (0-based start, length), from the reference sheet §2.

use crate::error::Field;

/// A field's place in the 120-byte record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pos {
    pub field: Field,
    pub start: usize,
    pub len: usize,
}

const fn p(field: Field, start: usize, len: usize) -> Pos {
    Pos { field, start, len }
}

pub(crate) mod header {
    use super::{Pos, p};
    use crate::error::Field::*;
    pub const TYPE_CODE: Pos = p(TypeCode, 1, 2);
    pub const CODE_DIVISION: Pos = p(CodeDivision, 3, 1);
    pub const COLLECTOR_CODE: Pos = p(CollectorCode, 4, 10);
    pub const COLLECTOR_NAME: Pos = p(CollectorName, 14, 40);
    pub const DEBIT_DATE: Pos = p(DebitDate, 54, 4);
    pub const BANK_CODE: Pos = p(CollectorBankCode, 58, 4);
    pub const BANK_NAME: Pos = p(CollectorBankName, 62, 15);
    pub const BRANCH_CODE: Pos = p(CollectorBranchCode, 77, 3);
    pub const BRANCH_NAME: Pos = p(CollectorBranchName, 80, 15);
    pub const ACCOUNT_TYPE: Pos = p(CollectorAccountType, 95, 1);
    pub const ACCOUNT_NUMBER: Pos = p(CollectorAccountNumber, 96, 7);
    pub const DUMMY: Pos = p(Dummy, 103, 17);
}

pub(crate) mod data {
    use super::{Pos, p};
    use crate::error::Field::*;
    pub const BANK_CODE: Pos = p(BankCode, 1, 4);
    pub const BANK_NAME: Pos = p(BankName, 5, 15);
    pub const BRANCH_CODE: Pos = p(BranchCode, 20, 3);
    pub const BRANCH_NAME: Pos = p(BranchName, 23, 15);
    pub const DUMMY1: Pos = p(Dummy, 38, 4);
    pub const ACCOUNT_TYPE: Pos = p(AccountType, 42, 1);
    pub const ACCOUNT_NUMBER: Pos = p(AccountNumber, 43, 7);
    pub const HOLDER_NAME: Pos = p(HolderName, 50, 30);
    pub const AMOUNT: Pos = p(Amount, 80, 10);
    pub const NEW_CODE: Pos = p(NewCode, 90, 1);
    pub const CUSTOMER_NUMBER: Pos = p(CustomerNumber, 91, 20);
    pub const RESULT_CODE: Pos = p(ResultCode, 111, 1);
    pub const DUMMY2: Pos = p(Dummy, 112, 8);
}

pub(crate) mod trailer {
    use super::{Pos, p};
    use crate::error::Field::*;
    pub const TOTAL_COUNT: Pos = p(TotalCount, 1, 6);
    pub const TOTAL_AMOUNT: Pos = p(TotalAmount, 7, 12);
    pub const PAID_COUNT: Pos = p(PaidCount, 19, 6);
    pub const PAID_AMOUNT: Pos = p(PaidAmount, 25, 12);
    pub const UNPAID_COUNT: Pos = p(UnpaidCount, 37, 6);
    pub const UNPAID_AMOUNT: Pos = p(UnpaidAmount, 43, 12);
    pub const DUMMY: Pos = p(Dummy, 55, 65);
}

pub(crate) mod end {
    use super::{Pos, p};
    use crate::error::Field::*;
    pub const DUMMY: Pos = p(Dummy, 1, 119);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(fields: &[Pos]) {
        let mut at = 1;
        for f in fields {
            assert_eq!(f.start, at, "{:?}", f.field);
            at += f.len;
        }
        assert_eq!(at, crate::RECORD_LEN);
    }

    #[test]
    fn layouts_tile_120_bytes() {
        use header as h;
        covers(&[
            h::TYPE_CODE,
            h::CODE_DIVISION,
            h::COLLECTOR_CODE,
            h::COLLECTOR_NAME,
            h::DEBIT_DATE,
            h::BANK_CODE,
            h::BANK_NAME,
            h::BRANCH_CODE,
            h::BRANCH_NAME,
            h::ACCOUNT_TYPE,
            h::ACCOUNT_NUMBER,
            h::DUMMY,
        ]);
        use data as d;
        covers(&[
            d::BANK_CODE,
            d::BANK_NAME,
            d::BRANCH_CODE,
            d::BRANCH_NAME,
            d::DUMMY1,
            d::ACCOUNT_TYPE,
            d::ACCOUNT_NUMBER,
            d::HOLDER_NAME,
            d::AMOUNT,
            d::NEW_CODE,
            d::CUSTOMER_NUMBER,
            d::RESULT_CODE,
            d::DUMMY2,
        ]);
        use trailer as t;
        covers(&[
            t::TOTAL_COUNT,
            t::TOTAL_AMOUNT,
            t::PAID_COUNT,
            t::PAID_AMOUNT,
            t::UNPAID_COUNT,
            t::UNPAID_AMOUNT,
            t::DUMMY,
        ]);
        covers(&[end::DUMMY]);
    }
}
