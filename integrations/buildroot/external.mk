include $(sort $(wildcard $(BR2_EXTERNAL_DTMEM_PATH)/package/*/*.mk))
