"""Certificates: issued by accredited certifying bodies to eligible learners, revocable."""
