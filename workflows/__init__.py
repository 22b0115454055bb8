"""Temporal workflows: one package per workflow, laid out like temporalio/samples-python."""
