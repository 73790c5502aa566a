"""Words the matters and mediation apps share: the matters' vocabulary of DOMAIN.md wins
(不予受理, 已撤销, 已办结, 已归档), applied after every other table."""

ZH_SHARED = {
    "Rejected": "不予受理",
    "Cancelled": "已撤销",
    "Resolved": "已办结",
    "Closed": "已归档",
    "closed at": "归档时间",
}
