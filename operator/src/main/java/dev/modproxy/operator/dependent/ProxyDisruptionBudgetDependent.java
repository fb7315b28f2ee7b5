package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** Keeps one proxy pod serving through node drains; only made when there is more than one. */
@KubernetesDependent(informer = @Informer(labelSelector = CacheNames.MANAGED_BY_SELECTOR))
public class ProxyDisruptionBudgetDependent extends CacheOwnedDependent<PodDisruptionBudget> {

    public ProxyDisruptionBudgetDependent() {
        super(PodDisruptionBudget.class);
    }

    @Override
    protected PodDisruptionBudget desired(GoProxyCache cache, Context<GoProxyCache> context) {
        return new PodDisruptionBudgetBuilder()
                .withMetadata(CacheNames.metadata(cache, CacheNames.disruptionBudget(cache)))
                .withNewSpec()
                .withMinAvailable(new IntOrString(1))
                .withNewSelector()
                .withMatchLabels(CacheNames.selector(cache))
                .endSelector()
                .endSpec()
                .build();
    }
}
