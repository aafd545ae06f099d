"""What a build log says: read_log (collector) dispatches log lines to one handler per message family
(handlers) and assembles the frozen LogFacts (facts)."""
