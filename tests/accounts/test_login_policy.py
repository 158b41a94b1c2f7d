from accounts.login_policy import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP, RecentFailures, is_login_allowed


def test_allows_until_either_limit_is_reached() -> None:
    assert is_login_allowed(RecentFailures(by_ip=0, by_account=0))
    assert is_login_allowed(RecentFailures(by_ip=MAX_FAILURES_PER_IP - 1, by_account=MAX_FAILURES_PER_ACCOUNT - 1))
    assert not is_login_allowed(RecentFailures(by_ip=MAX_FAILURES_PER_IP, by_account=0))
    assert not is_login_allowed(RecentFailures(by_ip=0, by_account=MAX_FAILURES_PER_ACCOUNT))
