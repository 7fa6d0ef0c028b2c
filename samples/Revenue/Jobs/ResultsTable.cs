global using ResultsTable = Kernel.Sinks.LsmResultsTable<Revenue.Model.DailyRevenue, long, Revenue.Jobs.RevenueKey>;
