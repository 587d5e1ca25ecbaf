using Orchestration.Execution;

namespace Orchestration.Core.Tests.Runtime;

/// <summary>The read-ahead rules of the executor runtime, value by value.</summary>
public sealed class ClaimSizingTests
{
    [TestCase(-1L, 1000.0, ExpectedResult = 4, TestName = "Capacity_HandlersNotMeasured_HandlerSlotsOnly")]
    [TestCase(100L, 0.0, ExpectedResult = 4, TestName = "Capacity_NoPrefetchWindow_HandlerSlotsOnly")]
    [TestCase(100L, 1000.0, ExpectedResult = 44, TestName = "Capacity_HandlersTakeATenthOfTheWindow_TenTasksAheadPerSlot")]
    [TestCase(10L, 1000.0, ExpectedResult = 104, TestName = "Capacity_VeryFastHandlers_ReadAheadCappedAtOneBatch")]
    [TestCase(0L, 1000.0, ExpectedResult = 104, TestName = "Capacity_HandlersThatTakeNoMeasurableTime_ReadAheadOfOneBatch")]
    [TestCase(5000L, 1000.0, ExpectedResult = 4, TestName = "Capacity_HandlersSlowerThanTheWindow_NoReadAhead")]
    public int Capacity_Cases(long average, double window) => ClaimSizing.Capacity(maxConcurrency: 4, claimBatchSize: 100, average, window);

    // Capacity 44 and batch 100: a worthwhile claim is a quarter of 44, 11 tasks.
    [TestCase(11, 5, ExpectedResult = true, TestName = "ShouldClaim_AQuarterOfCapacityFree_Claims")]
    [TestCase(10, 5, ExpectedResult = false, TestName = "ShouldClaim_LessThanAQuarterFreeWithWorkBuffered_Waits")]
    [TestCase(1, 0, ExpectedResult = true, TestName = "ShouldClaim_OneSlotFreeAndNothingBuffered_Claims")]
    [TestCase(0, 0, ExpectedResult = false, TestName = "ShouldClaim_NoRoomAndNothingBuffered_Waits")]
    [TestCase(1, 1, ExpectedResult = false, TestName = "ShouldClaim_OneSlotFreeWithWorkBuffered_Waits")]
    public bool ShouldClaim_Cases(int room, int buffered) => ClaimSizing.ShouldClaim(room, claimBatchSize: 100, capacity: 44, buffered);

    [Test]
    public void ShouldClaim_CapacityUnderFour_OneFreeSlotIsWorthAClaim() =>
        Assert.That(ClaimSizing.ShouldClaim(room: 1, claimBatchSize: 100, capacity: 2, buffered: 3), Is.True);

    [Test]
    public void ShouldClaim_BatchSmallerThanCapacity_QuarterOfTheBatch() =>
        Assert.Multiple(() =>
        {
            Assert.That(ClaimSizing.ShouldClaim(room: 5, claimBatchSize: 20, capacity: 44, buffered: 3), Is.True);
            Assert.That(ClaimSizing.ShouldClaim(room: 4, claimBatchSize: 20, capacity: 44, buffered: 3), Is.False);
        });

    [TestCase(ClaimSizing.Unmeasured, 80L, ExpectedResult = 80L, TestName = "NextAverage_FirstMeasurement_TakenAsIs")]
    [TestCase(0L, 80L, ExpectedResult = 10L, TestName = "NextAverage_FromZero_AnEighthOfTheWay")]
    [TestCase(100L, 180L, ExpectedResult = 110L, TestName = "NextAverage_SlowerHandler_MovesUpAnEighth")]
    [TestCase(100L, 20L, ExpectedResult = 90L, TestName = "NextAverage_FasterHandler_MovesDownAnEighth")]
    public long NextAverage_Cases(long average, long ticks) => ClaimSizing.NextAverage(average, ticks);
}
