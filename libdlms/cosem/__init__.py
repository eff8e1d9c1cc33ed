"""COSEM object model: OBIS codes, units, scaler-unit, date-time."""
