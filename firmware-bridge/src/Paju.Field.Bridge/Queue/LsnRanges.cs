namespace Paju.Field.Bridge.Queue;

/// <summary>
/// A set of LSNs kept as sorted half-open ranges. Acknowledgements arrive in two runs (the replay
/// from the head, the live readings from the tail), so the set stays a handful of ranges however
/// many records it covers.
/// </summary>
public sealed class LsnRanges
{
    private readonly List<(long From, long To)> _ranges = [];

    public IReadOnlyList<(long From, long To)> Ranges => _ranges;

    public bool Contains(long lsn)
    {
        var i = IndexAfter(lsn) - 1;
        return i >= 0 && lsn < _ranges[i].To;
    }

    public void Add(long lsn) => Add(lsn, lsn + 1);

    public void Add(long from, long to)
    {
        if (to <= from)
        {
            return;
        }
        // Find every range that touches [from, to) and merge them into one.
        var first = IndexAfter(from) - 1;
        if (first < 0 || _ranges[first].To < from)
        {
            first++;
        }
        var last = first;
        while (last < _ranges.Count && _ranges[last].From <= to)
        {
            from = Math.Min(from, _ranges[last].From);
            to = Math.Max(to, _ranges[last].To);
            last++;
        }
        _ranges.RemoveRange(first, last - first);
        _ranges.Insert(first, (from, to));
    }

    /// <summary>Forgets everything below <paramref name="lsn"/> (its segment is gone).</summary>
    public void RemoveBelow(long lsn)
    {
        while (_ranges.Count > 0 && _ranges[0].To <= lsn)
        {
            _ranges.RemoveAt(0);
        }
        if (_ranges.Count > 0 && _ranges[0].From < lsn)
        {
            _ranges[0] = (lsn, _ranges[0].To);
        }
    }

    /// <summary>Index of the first range starting after <paramref name="lsn"/>.</summary>
    private int IndexAfter(long lsn)
    {
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_ranges[mid].From <= lsn)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
