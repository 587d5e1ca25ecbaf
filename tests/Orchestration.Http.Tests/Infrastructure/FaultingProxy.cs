using System.Reflection;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>Forwards every call to the real service except one method, which throws: a fault injected into a live host.</summary>
public class FaultingProxy<T> : DispatchProxy where T : class
{
    private T _inner = null!;
    private string _method = "";

    public static T Wrap(T inner, string failingMethod)
    {
        var proxy = Create<T, FaultingProxy<T>>();
        var self = (FaultingProxy<T>)(object)proxy;
        self._inner = inner;
        self._method = failingMethod;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == _method) throw new InvalidOperationException("secret internal detail");
        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
