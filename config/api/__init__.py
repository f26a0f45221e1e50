"""What every endpoint of the REST API shares: errors, throttles, pagination, docs."""
