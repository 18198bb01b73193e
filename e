tuinews: no subscriptions yet: add one with `tuinews add URL`
