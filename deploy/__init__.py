"""Local infrastructure: process supervisor (stack), throwaway PostgreSQL, Kafka runtime, demo data."""
