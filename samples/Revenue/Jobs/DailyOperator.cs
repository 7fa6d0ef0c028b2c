global using DailyOperator = Kernel.Operators.WindowedAggregator<
    Revenue.Model.Order, long, Revenue.Model.DailyRevenue.State, Revenue.Model.DailyRevenue, Revenue.Model.DailyRevenue.Spec>;
