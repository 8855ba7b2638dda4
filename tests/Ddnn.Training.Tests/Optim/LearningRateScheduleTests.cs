using Ddnn.Training.Optim;

namespace Ddnn.Training.Tests.Optim;

public class LearningRateScheduleTests
{
    [Fact]
    public void Constant_keeps_the_base_rate()
    {
        for (var step = 0; step < 10; step++)
            Assert.Equal(0.01f, LearningRateSchedule.Constant.Rate(0.01f, step, 10));
    }

    [Fact]
    public void Cosine_starts_at_the_base_rate_halves_mid_way_and_decreases_towards_zero()
    {
        const int total = 1000;
        Assert.Equal(1e-3f, LearningRateSchedule.Cosine.Rate(1e-3f, 0, total));
        Assert.Equal(0.5e-3, LearningRateSchedule.Cosine.Rate(1e-3f, total / 2, total), 9);
        var previous = float.PositiveInfinity;
        for (var step = 0; step < total; step++)
        {
            var rate = LearningRateSchedule.Cosine.Rate(1e-3f, step, total);
            Assert.True(rate <= previous && rate > 0, $"step {step}: {rate} after {previous}");
            previous = rate;
        }
        Assert.True(previous < 1e-8f);
    }

    [Fact]
    public void Bad_steps_and_names_are_rejected_by_name()
    {
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine.Rate(1, 5, 5)).ParamName);
        Assert.Equal("totalSteps", Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine.Rate(1, 0, 0)).ParamName);
        Assert.Contains("'linear'", Assert.Throws<ArgumentException>(() => LearningRateSchedules.Parse("linear")).Message);
        foreach (var name in LearningRateSchedules.Names)
            Assert.Equal(name, LearningRateSchedules.Parse(name).ToShortName());
    }
}
